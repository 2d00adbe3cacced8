"""Who this browser session is (SPEC §10): local mode, a signed-in account, or nobody yet; sign-in, sign-out and
the cookie that keeps a sign-in across a browser refresh for 12 hours.

Streamlit has no cookie setter: the token from kam_metrics.access.sessions is written into ``document.cookie`` by
a small script (st.html with JavaScript, same document, nothing fetched), and read back from
``st.context.cookies`` (the cookies of the session's first request) when a refresh starts a new session. Every
run resumes the token again, so a sign-out in another tab, an expired session or a disabled account signs this
tab out on its next click. Where ``.streamlit/secrets.toml`` has an ``[auth]`` section, ``st.login`` (OIDC) signs
in too and its e-mail is mapped to an account (kam_metrics.access.accounts.viewer_for_email).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from collections.abc import Mapping

import streamlit as st

from dashboard import state
from kam_metrics.access import accounts, sessions
from kam_metrics.access.roles import LOCAL, Viewer

COOKIE = "kam_session"
LIFETIME = dt.timedelta(hours=12)  # SPEC §10; kam_metrics.access.sessions refuses the token after it too
TOKEN = "_auth_token"  # session state: the token of this session's sign-in
SET_COOKIE = "_auth_set_cookie"  # (token, expiry) to write into the browser's cookie on every run
CLEAR_COOKIE = "_auth_clear_cookie"  # after a sign-out: remove the cookie
COOKIE_READ = (
    "_auth_cookie_read"  # the first request's cookie was tried once (it stays stale after a sign-out)
)
OIDC_UNKNOWN = "_auth_oidc_unknown"  # the e-mail an identity provider signed in that has no account
STALE = "_auth_stale"  # this browser's sign-in no longer resumes (expired, ended, disabled, secret replaced)


# -- where the browser is ------------------------------------------------------------------------
def client_ip() -> str | None:
    """The browser's address as Streamlit sees it (None: loopback, or no browser, as in AppTest)."""
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 (no client context outside a browser session)
        return None
    return ip if isinstance(ip, str) else None  # AppTest's client is a stand-in object


def is_loopback(ip: str | None) -> bool:
    """Whether ``ip`` is this computer (None counts: Streamlit reports a loopback client as None)."""
    if ip is None:
        return True
    try:
        return ipaddress.ip_address(ip.split("%")[0]).is_loopback
    except ValueError:
        return False


# -- the viewer of this run ----------------------------------------------------------------------
def signin_on() -> bool:
    """Sign-in is on once the store has any account (SPEC §10)."""
    return accounts.has_accounts(state.store())


def resolve() -> Viewer | None:
    """The viewer of this run, kept in st.session_state["viewer"] (dashboard.state.viewer() reads it):
    LOCAL without accounts, the signed-in account, or None (nothing but the sign-in form may be shown)."""
    if not signin_on():
        _forget()
        return LOCAL
    store = state.store()
    viewer = _oidc_viewer(store)
    if viewer is None:
        token = st.session_state.get(TOKEN)
        from_cookie = token is None and not st.session_state.get(COOKIE_READ)
        if from_cookie:
            st.session_state[COOKIE_READ] = True
            token = _cookie()
        viewer = sessions.resume(store, token) if token else None
        if viewer is not None:
            st.session_state[TOKEN] = token
        elif token:
            st.session_state[STALE] = True
    if viewer is None:
        _forget()
        return None
    st.session_state["viewer"] = viewer
    return viewer


def _cookie() -> str | None:
    try:
        return st.context.cookies.get(COOKIE) or None
    except Exception:  # noqa: BLE001 (no client context outside a browser session)
        return None


def _forget() -> None:
    for key in ("viewer", TOKEN, SET_COOKIE):
        st.session_state.pop(key, None)


def sign_in(login: str, password: str) -> Viewer:
    """Check the credentials (raises AccessError: wrong credentials, locked) and start a 12-hour session whose
    token this browser keeps in its cookie."""
    store = state.store()
    viewer = accounts.sign_in(store, login, password)
    token = sessions.start(store, viewer)
    st.session_state["viewer"] = viewer
    st.session_state[TOKEN] = token
    st.session_state[SET_COOKIE] = (token, dt.datetime.now(dt.UTC) + LIFETIME)
    st.session_state.pop(CLEAR_COOKIE, None)
    return viewer


def sign_out() -> None:
    """End the session in the store (the token is refused from now on, in every tab) and remove the cookie."""
    token = st.session_state.get(TOKEN)
    if token:
        sessions.end(state.store(), token)
    _forget()
    st.session_state[COOKIE_READ] = True  # this session's first-request cookie is the ended token
    st.session_state[CLEAR_COOKIE] = True
    if oidc_on() and _user_signed_in():
        st.logout()


def cookie_script() -> None:
    """Write (or remove) the session cookie in the browser; drawn on every run, so a run that was cut short
    before the browser drew it is made good by the next."""
    if st.session_state.get(CLEAR_COOKIE):
        st.html(_script(f"{COOKIE}=; path=/; max-age=0; samesite=strict"), unsafe_allow_javascript=True)
    elif pending := st.session_state.get(SET_COOKIE):
        token, expires = pending
        value = f"{COOKIE}={token}; path=/; expires={expires.strftime('%a, %d %b %Y %H:%M:%S GMT')}"
        st.html(_script(value + "; samesite=strict"), unsafe_allow_javascript=True)


def _script(cookie: str) -> str:
    # json.dumps: the cookie text is a JavaScript string literal, whatever it holds; "secure" on https.
    text = json.dumps(cookie)
    return f"<script>document.cookie = {text} + (location.protocol === 'https:' ? '; secure' : '');</script>"


# -- OIDC (st.login), optional -------------------------------------------------------------------
def oidc_on() -> bool:
    """Whether ``.streamlit/secrets.toml`` configures an identity provider (an ``[auth]`` section)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 (no secrets file, or one that does not parse: no OIDC)
        return False


def _user_signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # noqa: BLE001 (no identity provider configured)
        return False


def viewer_for_user(store, user: Mapping | object) -> Viewer | None:
    """The account an identity provider's user maps to (by e-mail), or None (no e-mail, no such account)."""
    email = user.get("email") if isinstance(user, Mapping) else getattr(user, "email", None)
    if not email or not isinstance(email, str):
        return None
    return accounts.viewer_for_email(store, email.strip())


def _oidc_viewer(store) -> Viewer | None:
    if not oidc_on() or not _user_signed_in():
        st.session_state.pop(OIDC_UNKNOWN, None)
        return None
    viewer = viewer_for_user(store, st.user)
    if viewer is None:
        st.session_state[OIDC_UNKNOWN] = str(st.user.get("email") or "")
    return viewer


def stale_message(lang: str) -> str | None:
    """Once, on the sign-in form: why this browser's earlier sign-in did not resume (the secret beside the store
    was missing or damaged and was replaced, or the sign-in ended: 12 hours, a sign-out elsewhere, the account
    disabled), else None."""
    if not st.session_state.pop(STALE, False):
        return None
    problem = sessions.secret_problem(state.store())
    return problem.message(lang) if problem is not None else state.tr("auth.signin.stale")


def oidc_unknown() -> str | None:
    """The e-mail the identity provider signed in that has no account here (shown on the sign-in page)."""
    return st.session_state.get(OIDC_UNKNOWN)
