"""周考核 Weekly attainment: KAM × week grid; a click opens that KAM-week with every row behind its counts."""

import streamlit as st

from dashboard import charts, state
from kam_metrics.present import views

lang = state.lang()
st.title(state.tr("ui.page.weekly"))
state.require_data()
res = state.results()
kams = views.kam_names(res)
weeks = views.weeks(res)
if not weeks:
    st.info(state.tr("ui.empty.no_weeks"))
    st.stop()

# A click on the grid chooses the KAM-week below; the choice lives in the URL (?kam=…&week=…).
point = state.plotly_point("weekly_heatmap")
if point is not None and point != st.session_state.get("_weekly_last_point"):
    st.session_state["_weekly_last_point"] = point
    st.session_state["week"], st.session_state["kam"] = point

st.caption(state.tr("ui.weekly.hint"))
st.plotly_chart(
    charts.heatmap(views.heatmap(res, lang), kams, weeks),
    key="weekly_heatmap",
    on_select="rerun",
    selection_mode="points",
)

st.subheader(state.tr("ui.weekly.detail"))
left, right = st.columns(2)
kam = left.selectbox(
    state.tr("ui.col.kam"),
    kams,
    index=None,
    key="kam",
    placeholder=state.tr("ui.weekly.pick_kam"),
    bind="query-params",
)
week = right.selectbox(
    state.tr("ui.col.week"),
    weeks,
    index=None,
    key="week",
    placeholder=state.tr("ui.weekly.pick_week"),
    bind="query-params",
)

if kam is None or week is None:
    st.info(state.tr("ui.weekly.pick"))
else:
    detail = views.kam_week(res, kam, week, lang)
    row = detail["row"]
    if row is None:
        st.info(state.tr("ui.weekly.not_assessed", kam=kam, week=week))
    else:
        st.caption(views.week_label(res, week, lang))
        verdict = "in_progress" if row["in_progress"] else "met" if row["met"] else "missed"
        cols = st.columns(5)
        cols[0].metric(state.tr("ui.weekly.verdict"), state.tr(f"ui.state.{verdict}"), border=True)
        cols[1].metric(state.tr("ui.col.fine"), views.money(row["fine"]), border=True)
        cols[2].metric(state.tr("ui.col.missed_streak"), row["missed_streak"], border=True)
        cols[3].metric(state.tr("ui.col.flag"), state.tr(f"flag.{row['flag']}") or "—", border=True)
        cols[4].metric(state.tr("ui.col.team"), row["team"] or state.tr("ui.no_team"), border=True)
        st.dataframe(detail["quotas"], hide_index=True, key="weekly_quotas")
    for part in ("units", "leads", "visits"):
        st.markdown(f"**{state.tr(f'ui.part.{part}')}** · {state.tr('ui.rows', n=len(detail[part]))}")
        if detail[part].empty:
            st.caption(state.tr("ui.none"))
        else:
            st.dataframe(
                detail[part],
                hide_index=True,
                key=f"weekly_{part}",
                height=min(36 * (len(detail[part]) + 1) + 2, 400),
            )

st.subheader(state.tr("ui.weekly.flagged"))
flagged = views.flagged(res, lang)
if flagged.empty:
    st.success(state.tr("ui.overview.none_flagged"))
else:
    st.dataframe(flagged, hide_index=True, key="weekly_flagged")

with st.expander(state.tr("ui.weekly.table")):
    st.dataframe(views.weekly_table(res, lang), hide_index=True, key="weekly_table")
