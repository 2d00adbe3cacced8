"""周考核 Weekly attainment: KAM × week grid; a click opens that KAM-week with every row behind its counts."""

import streamlit as st

from dashboard import charts, nav, state, widgets
from dashboard.text import md
from kam_metrics.present import weekly

nav.page("weekly")  # guard (refused to other roles), title, empty state

# A click on the grid chooses the KAM-week below; the choice lives in the URL (?kam=…&week=…).
point = state.plotly_point("weekly_heatmap")
if point is not None and point != st.session_state.get("_weekly_last_point"):
    st.session_state["_weekly_last_point"] = point
    st.session_state["week"], st.session_state["kam"] = point

view = weekly.view(
    state.results(),
    state.viewer(),
    state.lang(),
    kam=widgets.value("kam"),
    week=widgets.value("week"),
    key=widgets.link_key(),
)
if not view.weeks:
    st.info(state.tr("ui.empty.no_weeks"))
    st.stop()

st.caption(state.tr("ui.weekly.hint"))
st.plotly_chart(
    charts.heatmap(view.cells, view.kams, view.weeks),
    key="weekly_heatmap",
    on_select="rerun",
    selection_mode="points",
)

st.subheader(state.tr("ui.weekly.detail"))
left, right = st.columns(2)
widgets.kam(view.kams, state.tr("ui.weekly.pick_kam"), container=left)
widgets.week(view.weeks, state.tr("ui.weekly.pick_week"), container=right)

detail = view.detail
if detail is None:
    st.info(state.tr("ui.weekly.pick"))
else:
    verdict = detail.verdict
    if verdict is None:
        st.info(state.tr("ui.weekly.not_assessed", kam=md(detail.kam), week=detail.week))
    else:
        st.caption(detail.label)
        cols = st.columns(5)
        cols[0].metric(state.tr("ui.weekly.verdict"), verdict.state_label, border=True)
        cols[1].metric(state.tr("ui.col.fine"), verdict.fine, border=True)
        cols[2].metric(state.tr("ui.col.missed_streak"), verdict.missed_streak, border=True)
        cols[3].metric(state.tr("ui.col.flag"), verdict.flag, border=True)
        cols[4].metric(state.tr("ui.col.team"), md(verdict.team), border=True)
        st.dataframe(detail.quotas, hide_index=True, key="weekly_quotas")
    for part, rows in detail.parts.items():
        st.markdown(f"**{state.tr(f'ui.part.{part}')}** · {state.tr('ui.rows', n=len(rows))}")
        if rows.empty:
            st.caption(state.tr("ui.none"))
            continue
        refs = detail.refs.get(part)
        if refs:
            st.caption(state.tr("ui.weekly.row_to_story"))
        picked = st.dataframe(
            rows,
            hide_index=True,
            key=f"weekly_{part}",
            height=min(36 * (len(rows) + 1) + 2, 400),
            on_select="rerun" if refs else "ignore",
            selection_mode="single-row",
        )
        # A picked lead or visit opens that customer's story, which links back to this KAM-week.
        chosen = picked.selection.rows if refs else []
        if chosen:
            st.switch_page(
                "app_pages/attribution.py",
                # Not kam / week: those are bound to this page's picks, which switch_page may not set.
                query_params={"c": refs[chosen[0]], "from_kam": detail.kam, "from_week": detail.week},
            )

st.subheader(state.tr("ui.weekly.flagged"))
if view.flagged.empty:
    st.success(state.tr("ui.overview.none_flagged"))
else:
    st.dataframe(view.flagged, hide_index=True, key="weekly_flagged")

with st.expander(state.tr("ui.weekly.table")):
    st.dataframe(view.table, hide_index=True, key="weekly_table")
