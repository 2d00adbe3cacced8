"""佣金结算 Commissions: the monthly statement per KAM, the deal lines behind it, and the workbooks to download."""

import streamlit as st

from dashboard import nav, state, widgets
from dashboard.text import md
from kam_metrics.present import commissions, downloads

nav.page("commissions")  # guard (refused to other roles), title, empty state
view = commissions.view(
    state.results(), state.viewer(), state.lang(), month=widgets.value("month"), kam=widgets.value("kam")
)
if not view.months:
    st.info(state.tr("ui.comm.empty"))
    st.stop()

left, right = st.columns(2)
widgets.pick(
    state.tr("ui.col.month"),
    [commissions.ALL, *view.months],
    key="month",
    labels=lambda m: state.tr("ui.comm.all_months") if m == commissions.ALL else m,
    index=len(view.months),
    bind=True,
    worded=True,
    container=left,
)
widgets.kam(view.kams, state.tr("ui.comm.all_kams"), container=right)

for col, name in zip(st.columns(4), commissions.SUMS, strict=True):
    col.metric(state.tr(f"ui.col.{name}"), view.totals[name], border=True)

st.subheader(state.tr("ui.comm.statement", month=view.month_title))
st.dataframe(view.statement, hide_index=True, key="comm_statement")

st.subheader(state.tr("ui.comm.lines"))
if view.lines.empty:
    st.caption(state.tr("ui.none"))
else:
    kam_col = state.tr("ui.col.kam")
    st.dataframe(
        view.lines,
        hide_index=True,
        key="comm_lines",
        column_order=view.line_columns,
        column_config={
            c: st.column_config.TextColumn(width=w, pinned=c == kam_col) for c, w in view.line_widths.items()
        },
    )
    st.caption(state.tr("ui.comm.reconcile", **view.reconcile))

st.subheader(state.tr("ui.comm.downloads"))
full = state.results(team_filter=False)
kam, lang = view.kam, state.lang()
# Only the downloads the viewer may have (present.downloads): a button for one they may not is never built.
offered = {d.key: d for d in downloads.downloads(full, state.viewer(), lang, kam=kam, month=view.month)}
d1, d2 = st.columns(2)
if "all" in offered:
    widgets.download(offered["all"], key="download_all", container=d1)
elif "team" in offered:
    widgets.download(offered["team"], key="download_team", container=d1)
one = offered.get("kam")
d2.download_button(
    state.tr("ui.comm.download_kam", kam=md(kam)) if one else state.tr("ui.comm.download_kam_none"),
    data=one.build if one else b"",
    file_name=one.file_name if one else state.tr("ui.comm.file_kam", kam="", date=view.as_of),
    mime=downloads.XLSX,
    key="download_kam",
    on_click="ignore",
    icon=":material/download:",
    disabled=one is None,
    help=None if one else state.tr("ui.comm.pick_kam"),
)

# The printable 结算单 (SPEC §9) of the chosen month: the picked KAM's, and every KAM's as one PDF.
pdfs = [offered[k] for k in ("pdf_kam", "pdf_month") if k in offered]
if pdfs:  # a month and a KAM with a statement row then (the KAM workbook's button says to pick one)
    for col, d in zip(st.columns(2), pdfs, strict=False):
        widgets.download(d, key=f"download_{d.key}", container=col)
