"""我的 My page (a KAM's home): this week so far against each quota with what is missing and the fine it would
cost by the week's end, the last weeks with their verdicts, my customers, my statement by month and its download.

Everything comes from kam_metrics.present.mine and .downloads, built for the signed-in KAM only."""

import streamlit as st

from dashboard import nav, state, widgets
from dashboard.text import md
from kam_metrics.present import downloads, mine

nav.page("mine")  # guard (refused to other roles), title, empty state
viewer, lang = state.viewer(), state.lang()
results = state.results(team_filter=False)
view = mine.view(results, viewer, lang)
st.caption(md(" · ".join(x for x in (view.kam, view.team) if x)))

if view.week is None:
    st.info(state.tr("ui.empty.no_weeks"))
else:
    st.subheader(state.tr("auth.mine.week", week=view.week_label or view.week))
    if view.in_progress:
        st.caption(state.tr("auth.mine.in_progress", days=view.days_left))
    else:
        st.caption(state.tr("auth.mine.week_over"))
    st.dataframe(view.pace, hide_index=True, key="mine_pace")
    st.metric(
        state.tr("auth.mine.fine_if_none" if view.in_progress else "auth.mine.fine"),
        view.fine_if_none,
        border=True,
        width="content",
    )

st.subheader(state.tr("auth.mine.weeks"))
if view.weeks.empty:
    st.caption(state.tr("ui.none"))
else:
    st.dataframe(view.weeks, hide_index=True, key="mine_weeks")

st.subheader(state.tr("auth.mine.customers"))
if view.customers.empty:
    st.caption(state.tr("ui.none"))
else:
    st.dataframe(view.customers, hide_index=True, key="mine_customers")

st.subheader(state.tr("auth.mine.statement"))
if view.statement.empty:
    st.caption(state.tr("ui.none"))
else:
    st.dataframe(view.statement, hide_index=True, key="mine_statement")
own_months = sorted({str(m) for m in results.statement.loc[results.statement["kam"] == viewer.kam, "month"]})
month = None
if own_months:  # the printable 结算单 of one month (SPEC §9), the latest by default
    month = st.selectbox(
        state.tr("ui.col.month"), own_months, index=len(own_months) - 1, key="mine_pdf_month"
    )
for item in downloads.downloads(results, viewer, lang, month=month):
    widgets.download(item, key=f"mine_download_{item.key}")
