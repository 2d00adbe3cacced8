"""总览 Overview: the chosen week's team figures, the lead-to-deal funnel and the weekly quota trend."""

import streamlit as st

from dashboard import charts, state
from kam_metrics.present import views

lang = state.lang()
st.title(state.tr("ui.page.overview"))
state.require_data()
res = state.results()
weeks = views.weeks(res)
if not weeks:
    st.info(state.tr("ui.empty.no_weeks"))
    st.stop()

week = st.selectbox(
    state.tr("ui.overview.week"),
    weeks,
    index=len(weeks) - 1,
    key="ov_week",
    format_func=lambda w: views.week_label(res, w, lang),
)
kpi = views.kpis(res, week)

if kpi["in_progress"]:
    st.caption(state.tr("ui.overview.in_progress_note"))
cols = st.columns(3)
for col, quota in zip(cols, kpi["quotas"], strict=True):
    col.metric(
        state.tr(f"ui.col.{quota['quota']}"),
        f"{quota['count']} / {quota['target']}",
        delta=f"{quota['rate']:.0%}",
        delta_color="off",
        delta_arrow="off",
        help=state.tr("ui.overview.attainment_help", kams=kpi["kams"]),
        border=True,
    )
cols = st.columns(3)
cols[0].metric(state.tr("ui.overview.fines"), views.money(kpi["fines"]), border=True)
cols[1].metric(
    state.tr("ui.overview.commission_month", month=kpi["month"]), views.money(kpi["commission"]), border=True
)
cols[2].metric(
    state.tr("ui.overview.flagged"),
    kpi["flagged"],
    help=state.tr("ui.overview.flagged_help", warning=kpi["warning"], review=kpi["dismissal_review"]),
    border=True,
)

left, right = st.columns([2, 3])
with left:
    st.subheader(state.tr("ui.overview.funnel"))
    st.caption(state.tr("ui.overview.funnel_note", date=views.day(res.as_of)))
    st.plotly_chart(charts.funnel(views.funnel(res, lang)), key="ov_funnel")
with right:
    st.subheader(state.tr("ui.overview.trend"))
    st.plotly_chart(charts.trend(views.trend(res, lang)), key="ov_trend")

st.subheader(state.tr("ui.overview.flagged_list"))
flagged = views.flagged(res, lang)
if flagged.empty:
    st.success(state.tr("ui.overview.none_flagged"))
else:
    st.dataframe(flagged, hide_index=True, key="ov_flagged")
