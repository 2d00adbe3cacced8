"""佣金结算 Commissions: the monthly statement per KAM, the deal lines behind it, and the workbooks to download."""

import streamlit as st

from dashboard import state
from kam_metrics.present import views

ALL = state.ALL
lang = state.lang()
st.title(state.tr("ui.page.commissions"))
state.require_data()
res = state.results()
months = views.months(res)
if not months:
    st.info(state.tr("ui.comm.empty"))
    st.stop()

left, right = st.columns(2)
month = left.selectbox(
    state.tr("ui.col.month"),
    [ALL, *months],
    index=len(months),
    key="month",
    format_func=lambda m: state.tr("ui.comm.all_months") if m == ALL else m,
    bind="query-params",
)
kam = right.selectbox(
    state.tr("ui.col.kam"),
    views.kam_names(res),
    index=None,
    key="kam",
    placeholder=state.tr("ui.comm.all_kams"),
    bind="query-params",
)
chosen_month = None if month == ALL else month

totals = views.statement_totals(res, chosen_month)
cols = st.columns(4)
for col, name in zip(cols, ("commission", "clawback", "fines", "net"), strict=True):
    col.metric(state.tr(f"ui.col.{name}"), views.money(totals[name]), border=True)

st.subheader(state.tr("ui.comm.statement", month=month if chosen_month else state.tr("ui.comm.all_months")))
st.dataframe(views.statement_table(res, chosen_month, lang), hide_index=True, key="comm_statement")

st.subheader(state.tr("ui.comm.lines"))
lines = views.deal_lines(res, lang, kam=kam, month=chosen_month)
if lines.empty:
    st.caption(state.tr("ui.none"))
else:
    # One month chosen: its column says nothing, and the room goes to the reason of an unattributed deal.
    shown = [c for c in lines.columns if not (chosen_month and c == state.tr("ui.col.month"))]
    st.dataframe(
        lines,
        hide_index=True,
        key="comm_lines",
        column_order=shown,
        column_config={state.tr("ui.col.reason"): st.column_config.TextColumn(width=140)},
    )

st.subheader(state.tr("ui.comm.downloads"))
full = state.results(team_filter=False)
d1, d2 = st.columns(2)
d1.download_button(
    state.tr("ui.comm.download_all"),
    data=lambda: state.workbook_bytes(full, lang),
    file_name=state.tr("ui.comm.file_all", date=views.day(full.as_of)),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_all",
    on_click="ignore",
    icon=":material/download:",
)
d2.download_button(
    state.tr("ui.comm.download_kam", kam=kam) if kam else state.tr("ui.comm.download_kam_none"),
    data=lambda: state.workbook_bytes(full, lang, kam=kam),
    file_name=state.tr("ui.comm.file_kam", kam=kam or "", date=views.day(full.as_of)),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_kam",
    on_click="ignore",
    icon=":material/download:",
    disabled=kam is None,
    help=None if kam else state.tr("ui.comm.pick_kam"),
)
