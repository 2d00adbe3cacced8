"""The actions that remove data (clear the sample, clear everything), each behind its own confirmation."""

from __future__ import annotations

import streamlit as st

from dashboard import state

FLASH = "upload_flash"  # the upload page shows (and drops) this message on its next run


def _clear() -> None:
    state.store().clear(viewer=state.viewer())
    state.forget_uploads()


def confirm_clear_sample() -> None:
    """Open a dialog asking before the sample is cleared (the sample banner's 清除示例数据 calls this)."""
    n = len(state.store().uploads())

    def body() -> None:
        st.warning(state.tr("ux.sample.clear_confirm", n=n))
        yes, no = st.columns(2)
        if yes.button(state.tr("ux.sample.clear_yes"), key="clear_sample_yes", type="primary"):
            _clear()
            st.session_state[FLASH] = state.tr("ux.sample.cleared")
            st.rerun()
        if no.button(state.tr("ux.cancel"), key="clear_sample_no"):
            st.rerun()

    st.dialog(state.tr("ui.sample.clear"))(body)()


def clear_all_section(uploads: int) -> None:
    """清空全部数据 in a closed expander: a warning, a box where the shown word must be typed, and the button
    (enabled only when the typed word matches)."""
    with st.expander(state.tr("ux.clear.title"), icon=":material/delete_forever:"):
        st.warning(state.tr("ux.clear.explain", n=uploads))
        word = state.tr("ux.clear.word")
        typed = st.text_input(state.tr("ux.clear.type", word=word), key="clear_all_word")
        ok = typed.strip() == word
        if st.button(state.tr("ux.clear.button"), key="clear_all", type="primary", disabled=not ok):
            _clear()
            st.session_state.pop("clear_all_word", None)
            st.session_state[FLASH] = state.tr("ux.clear.done")
            st.rerun()
