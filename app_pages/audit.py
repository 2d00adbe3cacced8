"""操作日志 Audit log (director): every change to stored data or a decision and every failed or locked sign-in
(SPEC §10), filtered by who, action and date range, and exported as a workbook (kam_metrics.access.audit)."""

import datetime as dt

import streamlit as st

from dashboard import nav, state
from kam_metrics.access import audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALL = "*"

nav.page("audit", needs_data=False)  # guard (refused to other roles), title, empty state
store, lang = state.store(), state.lang()

everything = audit.entries(store)
logins = sorted(set(everything["login"].dropna().astype(str)))
actions = sorted(set(everything["action"].dropna().astype(str)))


def _action(code: str) -> str:
    return state.tr("auth.audit.all_actions") if code == ALL else audit.action_word(code, lang)


who_col, action_col, since_col, until_col = st.columns(4)
who = who_col.selectbox(
    state.tr("auth.audit.who"),
    [ALL, *logins],
    key="audit_who",
    format_func=lambda x: state.tr("auth.audit.everyone") if x == ALL else x,
)
action = action_col.selectbox(
    state.tr("auth.audit.action"), [ALL, *actions], key="audit_action", format_func=_action
)
since = since_col.date_input(state.tr("auth.audit.since"), value=None, key="audit_since", format="YYYY-MM-DD")
until = until_col.date_input(state.tr("auth.audit.until"), value=None, key="audit_until", format="YYYY-MM-DD")

if since and until and since > until:
    st.error(state.tr("auth.audit.bad_range"))
    st.stop()

frame = audit.entries(
    store,
    login=None if who == ALL else who,
    action=None if action == ALL else action,
    since=since,
    until=until,
)
st.caption(state.tr("auth.audit.count", n=len(frame)))
if frame.empty:
    st.info(state.tr("auth.audit.none"))
else:
    shown = frame.copy()
    shown["action"] = [audit.action_word(str(a), lang) for a in shown["action"]]
    shown = shown.rename(columns={c: state.tr(f"audit.col.{c}") for c in shown.columns})
    st.dataframe(shown, hide_index=True, key="audit_table")

today = dt.date.today().isoformat()
st.download_button(
    state.tr("auth.audit.download"),
    data=lambda: audit.workbook(frame, lang),
    file_name=state.tr("auth.audit.file", date=today),
    mime=XLSX,
    key="audit_download",
    on_click="ignore",
    icon=":material/download:",
    disabled=frame.empty,
)
