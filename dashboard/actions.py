"""A page's actions (close, reopen, file, decide, ...): run one showing a refusal on the page, flash its outcome."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import state
from dashboard.text import md
from kam_metrics.access import roles


def attempt(refusal: type[Exception], action: Callable, *args, **kwargs) -> tuple[bool, object]:
    """Run ``action``: (True, its result), or (False, None) after showing why it was refused as a message on the
    page, not an error page: a ``refusal`` of the rules (its ``message(lang)``) or a role that may not."""
    try:
        return True, action(*args, **kwargs)
    except refusal as e:
        st.error(md(e.message(state.lang())))
    except roles.Refused:
        st.error(state.tr("ui.disputes.refused"))
    return False, None


def done(flash: str, message: str, warning: str | None = None) -> None:
    """Remember the outcome under the session key ``flash`` for the next run (shown by ``show``) and rerun: the
    action's own run ends here."""
    st.session_state[flash] = (message, warning)
    st.rerun()


def show(flash: str) -> None:
    """Show, once, the outcome the last action left under ``flash``: its message, and its warning if any."""
    outcome = st.session_state.pop(flash, None)
    if outcome:
        st.success(md(outcome[0]))
        if outcome[1]:
            st.warning(outcome[1])
