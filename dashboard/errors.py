"""The dashboard's one error boundary: a failure on a page is logged server-side with an id, and the page shows
a short message naming that id instead of a traceback (.streamlit/config.toml: client.showErrorDetails off)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import streamlit as st

from dashboard import state, store_status
from kam_metrics.ingest.faults import StoreError

log = logging.getLogger("kam_metrics.dashboard")


def report(error: Exception) -> str:
    """Log ``error`` with its traceback under a new id; returns the id."""
    incident = uuid.uuid4().hex[:8]
    log.error("page failed, error id %s", incident, exc_info=error)
    return incident


def guard(run: Callable[[], None]) -> None:
    """Run ``run`` (the sidebar and the page); an exception becomes one logged error and one short message.

    A StoreError (read-only store, full disk, lost lock) is a fault the user can act on: its own message
    in the chosen language. Streamlit's own st.stop / st.rerun are BaseExceptions and pass through."""
    try:
        run()
    except StoreError as error:
        store_status.show_error(error, state.lang())
    except Exception as error:  # noqa: BLE001 (the boundary: everything a page can raise)
        st.error(state.tr("ui.error.page", id=report(error)), icon=":material/error:")
