"""The sidebar (language, who is signed in, as-of date, team), the sample-data banner and a page's empty state."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, danger, signin, state, widgets
from dashboard.text import md
from kam_metrics.present import common, format, sample


def show() -> None:
    """Language switch, the signed-in account, as-of date (default SPEC §4) and, for a role that sees every
    team, the team filter (a team lead's and a KAM's pages are scoped to them in the core calls)."""
    with st.sidebar:
        widgets.language()
        signin.sidebar_account()
        auth.cookie_script()
        if not state.has_data():
            return
        rules, error = state.current_rules()
        base = state.results_for(rules)
        if error:
            st.error(md(state.tr("ui.rules.file_error", path=str(state.rules_path()), reason=error)))
        if base.as_of is None:
            return
        widgets.as_of(base.as_of, help=state.tr("ui.sidebar.as_of_help", date=format.day(base.as_of)))
        if state.viewer().sees_all:
            widgets.team(common.teams(base))


def sample_banner() -> None:
    """While the bundled sample is what the store holds, say so and offer to clear it."""
    if not state.has_data() or not state.sample_shown():
        return
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.info(state.tr("ui.sample.banner"), icon=":material/info:")
    if state.viewer().may("clear") and right.button(state.tr("ui.sample.clear"), key="clear_sample"):
        danger.confirm_clear_sample()


def load_sample_button(key: str = "load_sample") -> None:
    """One click loads the bundled sample workbooks (only offered on an empty store)."""
    if st.button(state.tr("ui.sample.load"), key=key, type="primary"):
        with st.status(state.tr("ui.sample.loading"), expanded=False) as status:
            bar = st.progress(0.0)
            files = sample.sample_files()
            for i, path in enumerate(files):  # sample.load_sample's loop, made for the signed-in viewer
                bar.progress(i / len(files), text=md(path.name))
                state.store().ingest(path, viewer=state.viewer())
            bar.progress(1.0)
            status.update(label=state.tr("ui.sample.loaded"), state="complete")
        st.rerun()


def require_data() -> None:
    """A page's empty state: without stored data, explain and offer the sample, then stop the page."""
    if state.has_data():
        return
    if "upload" not in state.viewer().pages:
        st.info(state.tr("auth.empty"), icon=":material/folder_open:")
        st.stop()
    st.info(state.tr("ui.empty.body"), icon=":material/folder_open:")
    load_sample_button()
    st.page_link("app_pages/upload.py", label=state.tr("ui.empty.go_upload"), icon=":material/upload_file:")
    st.stop()
