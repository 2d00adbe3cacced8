"""月结 Month close: per month the statement per KAM and what blocks its close, the close, the open month's adjustments
with their reasons, the list of closes, and the director's reopening of the latest closed month (SPEC §9)."""

import streamlit as st

from dashboard import actions, nav, state
from dashboard.text import md
from kam_metrics.ingest.closes import CloseRefused
from kam_metrics.present import closing

FLASH = "_close_flash"

viewer = nav.page("close")  # guard (refused to other roles), title, empty state

store = state.store()
lang = state.lang()
# A close uses the stored rules and the default as_of (SPEC §9), so the preview does too, for every team.
res = state.results_for(state.current_rules()[0])


def act(action, *args) -> tuple[bool, object]:
    return actions.attempt(CloseRefused, action, *args)


actions.show(FLASH)

st.caption(state.tr("ui.close.title_hint"))
view = closing.view(res, viewer, lang, store=store, month=st.session_state.get("close_month"))
if view.chosen is None:
    st.info(state.tr("ui.close.no_months"))
    st.stop()
if view.open_month:
    st.caption(state.tr("ui.close.open_month", month=view.open_month))

st.selectbox(
    state.tr("ui.close.month"),
    view.months,
    index=view.months.index(view.chosen.month),
    key="close_month",
    format_func=lambda m: (
        m + " · " + state.tr("ui.close.frozen" if m in view.closed else "ui.close.provisional")
    ),
)
chosen = view.chosen

st.subheader(state.tr("ui.close.statement", month=chosen.month))
if chosen.closed:
    st.info(state.tr("ui.close.is_closed", month=chosen.month))
st.dataframe(chosen.statement, hide_index=True, key="close_statement")

st.markdown("**" + state.tr("ui.close.adjustments", month=chosen.month) + "**")
if chosen.adjustments.empty:
    st.caption(state.tr("ui.close.no_adjustments"))
else:
    st.dataframe(chosen.adjustments, hide_index=True, key="close_adjustments")

if not chosen.closed and view.may_close:
    if chosen.blockers:
        st.warning(
            md(state.tr("ui.close.blocked", month=chosen.month))
            + "\n"
            + "\n".join(f"- {md(b)}" for b in chosen.blockers)
        )
    else:
        st.success(state.tr("ui.close.ready", month=chosen.month))
    if st.button(
        state.tr("ui.close.button", month=chosen.month),
        type="primary",
        disabled=not chosen.may_close,
        key="close_button",
    ):
        ok, made = act(closing.close, store, viewer, chosen.month)
        if ok:
            actions.done(
                FLASH,
                state.tr(
                    "ui.close.done", month=chosen.month, items=made["items"], adjustments=made["adjustments"]
                ),
            )

if view.may_reopen:
    with st.form("reopen_form", clear_on_submit=True):
        st.markdown("**" + state.tr("ui.close.reopen", month=view.latest) + "**")
        reason = st.text_input(state.tr("ui.close.reopen_reason"), key="reopen_reason")
        if st.form_submit_button(state.tr("ui.close.reopen", month=view.latest)):
            ok, _ = act(closing.reopen, store, viewer, view.latest, reason)
            if ok:
                actions.done(FLASH, state.tr("ui.close.reopened", month=view.latest))

st.subheader(state.tr("ui.close.closes"))
if view.closes.empty:
    st.caption(state.tr("ui.close.none"))
else:
    st.dataframe(view.closes, hide_index=True, key="close_list")
