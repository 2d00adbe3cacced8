"""The forms of SPEC §10 around an account: sign-in, the local-mode notice with the first director account,
local mode refused to another computer, who is signed in (sidebar) and the change-password dialog."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, state, store_status, widgets
from dashboard.text import md
from kam_metrics.access import accounts
from kam_metrics.access.roles import DIRECTOR, LOCAL
from kam_metrics.ingest.faults import StoreError

CREATED = "_auth_created"  # the first director's login, greeted once on the sign-in form
FLASH = "_auth_flash"  # a message the next run shows once (password changed, signed out)
DIALOG = "_auth_dialog"  # the open dialog ("first" director, "passwd"): kept open across its own reruns


def _open(name: str) -> None:
    st.session_state[DIALOG] = name


def _close() -> None:
    st.session_state.pop(DIALOG, None)


def _dialog(name: str, title: str, body) -> None:
    if st.session_state.get(DIALOG) == name:
        st.dialog(title, on_dismiss=_close)(body)()


def _message(error: accounts.AccessError) -> str:
    return md(error.message(state.lang()))


def _warning_text(warning: object) -> str:
    """A warning of accounts.add: an object with .message(lang), or a locale key."""
    if hasattr(warning, "message"):
        return warning.message(state.lang())
    return state.tr(str(warning))


# -- before sign-in ------------------------------------------------------------------------------
def page() -> None:
    """The sign-in page: the only page served before sign-in, at every address."""
    title, switch = st.columns([4, 1], vertical_alignment="bottom")
    title.title(state.tr("auth.signin.title"))
    with switch:
        widgets.language()
    if login := st.session_state.pop(CREATED, None):
        st.success(md(state.tr("auth.first.created", login=login)), icon=":material/check_circle:")
    if flash := st.session_state.pop(FLASH, None):
        st.info(md(flash))
    if stale := auth.stale_message(state.lang()):
        st.warning(md(stale), icon=":material/timer_off:")
    if auth.oidc_on():
        if email := auth.oidc_unknown():
            st.error(md(state.tr("auth.oidc.unknown", email=email)))
        if st.button(state.tr("auth.oidc.button"), key="signin_oidc", icon=":material/badge:"):
            st.login()
        st.caption(state.tr("auth.oidc.or"))
    with st.form("signin", enter_to_submit=True, width=420):
        login = st.text_input(state.tr("auth.signin.login"), key="signin_login", autocomplete="username")
        password = st.text_input(
            state.tr("auth.signin.password"),
            type="password",
            key="signin_password",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(state.tr("auth.signin.submit"), type="primary")
    if submitted:
        try:
            auth.sign_in(login.strip(), password)
        except accounts.AccessError as error:
            st.error(_message(error), icon=":material/lock:")
            return
        st.rerun()


def remote_refused() -> None:
    """Local mode asked for from another computer: nothing is served, only how to open it properly."""
    st.title(state.tr("ui.app.title"))
    st.error(state.tr("auth.local.remote"), icon=":material/lan:")


# -- local mode ----------------------------------------------------------------------------------
def local_notice() -> None:
    """SPEC §10's notice of local mode, with the button that creates the first director account."""
    # A bordered markdown, not st.warning: the pages' own first warning stays their first.
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.container(border=True).markdown(
        f":orange-badge[:material/lock_open: {state.tr('auth.local.badge')}] {state.tr('auth.local.notice')}"
    )
    right.button(state.tr("auth.local.create"), key="local_create_director", on_click=_open, args=("first",))
    _first_director()


def new_password(label: str, key: str, again_key: str, side_by_side: bool = False) -> tuple[str, str]:
    """A new password's field (``label``) and the field repeating it, stacked or side by side (inside a form):
    the two values typed."""
    first, second = st.columns(2) if side_by_side else (st, st)
    password = first.text_input(label, type="password", key=key)
    again = second.text_input(state.tr("auth.field.again"), type="password", key=again_key)
    return password, again


def same_password(password: str, again: str) -> bool:
    """Whether the repeated password matches; when not, says so on the page."""
    if password != again:
        st.error(state.tr("auth.password.mismatch"))
        return False
    return True


def _first_director() -> None:
    def body() -> None:
        st.caption(state.tr("auth.first.explain"))
        with st.form("first_director", enter_to_submit=False):
            login = st.text_input(state.tr("auth.field.login"), key="first_login")
            name = st.text_input(state.tr("auth.field.name"), key="first_name")
            password, again = new_password(state.tr("auth.field.password"), "first_password", "first_again")
            submitted = st.form_submit_button(state.tr("auth.first.submit"), type="primary")
        if not submitted or not same_password(password, again):
            return
        try:
            accounts.add(state.store(), login.strip(), password, DIRECTOR, name=name.strip(), viewer=LOCAL)
        except accounts.AccessError as error:
            st.error(_message(error))
            return
        except StoreError as error:  # a dialog runs outside app.py's error boundary
            store_status.show_error(error, state.lang())
            return
        st.session_state[CREATED] = login.strip()
        _close()
        st.rerun()

    _dialog("first", state.tr("auth.local.create"), body)


# -- signed in -----------------------------------------------------------------------------------
def sidebar_account() -> None:
    """Who is signed in, 修改密码 and 退出登录 (in the sidebar)."""
    viewer = state.viewer()
    if viewer.local:
        return
    st.caption(state.tr("auth.signed_in"))
    st.markdown(f"**{md(viewer.name or viewer.login)}** · {state.tr(f'auth.role.{viewer.role}')}")
    if flash := st.session_state.pop(FLASH, None):
        st.success(md(flash))
    left, right = st.columns(2)
    left.button(
        state.tr("auth.passwd.button"),
        key="passwd_open",
        icon=":material/key:",
        on_click=_open,
        args=("passwd",),
    )
    _change_password()
    if right.button(state.tr("auth.signout"), key="signout", icon=":material/logout:"):
        _close()
        auth.sign_out()
        st.session_state[FLASH] = state.tr("auth.signed_out")
        st.rerun()


def _change_password() -> None:
    def body() -> None:
        with st.form("passwd", enter_to_submit=False):
            old = st.text_input(state.tr("auth.passwd.old"), type="password", key="passwd_old")
            new, again = new_password(state.tr("auth.passwd.new"), "passwd_new", "passwd_again")
            submitted = st.form_submit_button(state.tr("auth.passwd.submit"), type="primary")
        if not submitted or not same_password(new, again):
            return
        try:
            accounts.change_password(state.store(), state.viewer().login, old, new)
        except accounts.AccessError as error:
            st.error(_message(error))
            return
        st.session_state[FLASH] = state.tr("auth.passwd.done")
        _close()
        st.rerun()

    _dialog("passwd", state.tr("auth.passwd.button"), body)


def warnings_text(warnings: list) -> list[str]:
    """The words of accounts.add's warnings (a KAM in no data, ...)."""
    return [_warning_text(w) for w in warnings]
