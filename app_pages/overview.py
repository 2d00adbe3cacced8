"""总览 Overview: who missed the last complete week (shortfalls, fines, streaks, the week before), the team's
figures, the lead-to-deal funnel and the weekly quota trend."""

import streamlit as st

from dashboard import charts, nav, state, widgets
from kam_metrics.present import overview

nav.page("overview")  # guard (refused to other roles), title, empty state
view = overview.view(state.results(), state.viewer(), state.lang(), week=widgets.value("ov_week"))
if view.kpi is None:
    st.info(state.tr("ui.empty.no_weeks"))
    st.stop()


def _show_week(week: str) -> None:
    st.session_state["ov_week"] = week


pick, jump = st.columns([3, 1], vertical_alignment="bottom")
widgets.pick(
    state.tr("ui.overview.week"),
    view.weeks,
    key="ov_week",
    labels=view.week_labels,
    index=view.weeks.index(view.week),
    worded=True,
    container=pick,
)
kpi = view.kpi
if view.current and view.week != view.current:
    jump.button(
        state.tr("ui.overview.show_current"), key="ov_current", on_click=_show_week, args=(view.current,)
    )
elif kpi["in_progress"]:
    last = view.weeks[-2] if len(view.weeks) > 1 else None
    if last:
        jump.button(state.tr("ui.overview.show_last"), key="ov_last", on_click=_show_week, args=(last,))

if kpi["in_progress"]:
    st.caption(state.tr("ui.overview.in_progress_note"))
    st.subheader(state.tr("ui.overview.met_in_progress", met=kpi["met"], kams=kpi["kams"]))
    st.caption(state.tr("ui.overview.no_verdict"))
else:
    st.subheader(state.tr("ui.overview.met", met=kpi["met"], kams=kpi["kams"]))
    if view.missed.empty:
        st.success(state.tr("ui.overview.none_missed", week=view.week))
    else:
        st.markdown("**" + state.tr("ui.overview.missed_title", week=view.week) + "**")
        st.dataframe(view.missed, hide_index=True, key="ov_missed")
for col, quota in zip(st.columns(3), kpi["quotas"], strict=True):
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
cols[0].metric(state.tr("ui.overview.fines"), kpi["fines_text"], border=True)
cols[1].metric(
    state.tr("ui.overview.commission_month", month=kpi["month"]), kpi["commission_text"], border=True
)
cols[2].metric(
    state.tr("ui.overview.flagged"),
    kpi["flagged"],
    help=state.tr(
        "ui.overview.flagged_left_help",
        warning=kpi["warning"],
        review=kpi["dismissal_review"],
        left=kpi["left"],
    ),
    border=True,
)

left, right = st.columns([2, 3])
with left:
    st.subheader(state.tr("ui.overview.funnel"))
    st.caption(state.tr("ui.overview.funnel_note", date=view.as_of))
    st.plotly_chart(charts.funnel(view.funnel), key="ov_funnel")
with right:
    st.subheader(state.tr("ui.overview.trend"))
    st.plotly_chart(charts.trend(view.trend), key="ov_trend")
    if view.current:
        st.caption(state.tr("ui.overview.trend_note", week=view.current))

st.subheader(state.tr("ui.overview.flagged_list"))
if view.flagged.empty:
    st.success(state.tr("ui.overview.none_flagged"))
else:
    st.dataframe(view.flagged, hide_index=True, key="ov_flagged")
