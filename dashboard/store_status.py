"""Opening the dashboard's store with its policy, and what the page says about it: a store fault as one message
in the chosen language (never a traceback), a read-only store as a banner, a newly created store as a passing notice.

The policy (issue 11 item 3): the dashboard creates a store only inside an existing folder, so a KAM_DB whose
folder does not exist (a typo) is refused with a message naming the folder, instead of a new empty store.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from dashboard.text import md
from kam_metrics.i18n import t
from kam_metrics.ingest.faults import StoreError
from kam_metrics.ingest.store import READ_ONLY_BANNER, Store

log = logging.getLogger("kam_metrics.dashboard")
CREATE = "in_folder"  # the dashboard's create policy (kam_metrics.ingest.store.CREATE_POLICIES)
CREATED_SHOWN = "store_created_shown"  # session key: this session has seen the "new store" notice


def open_store(path: str | Path) -> Store:
    """The dashboard's Store at ``path``: created only inside an existing folder, read-only when it cannot be
    written. Raises StoreError (folder missing, locked, corrupt, damaged WAL, newer schema)."""
    return Store(path, create=CREATE)


def banner(store: Store, lang: str) -> None:
    """The store's notices above every page: read-only (every visit), newly created (once per session,
    while it is still empty: it names the path, so a typo in KAM_DB is seen at once)."""
    if store.read_only:
        st.warning(md(t(READ_ONLY_BANNER, lang, path=store.path)), icon=":material/lock:")
    if store.created and not st.session_state.get(CREATED_SHOWN) and store.uploads().empty:
        st.session_state[CREATED_SHOWN] = True
        # A toast: a passing notice that leaves the empty store's own explanation the page's first message.
        st.toast(md(t("store.created", lang, path=store.path)), icon=":material/database:")


def show_error(error: StoreError, lang: str) -> None:
    """A StoreError raised by a page's action (upload, undo, clear): its one message, logged, no traceback."""
    log.warning("store action refused: %s", error.message("en"))
    st.error(md(error.message(lang)), icon=":material/database_off:")
