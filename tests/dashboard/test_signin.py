"""The sign-in gate of app.py (SPEC §10), run by AppTest on a real store: local mode and its notice, nothing but
the sign-in form once an account exists, one message for wrong credentials, the lock, a sign-in resumed from the
cookie's token, sign-out, the change-password dialog, and each role's navigation."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, state
from dashboard.text import md
from kam_metrics.access import accounts, sessions
from kam_metrics.access.roles import LOCAL, PAGES, Viewer
from kam_metrics.i18n import t
from tests.app_pages.conftest import env, sample_env, sample_store  # noqa: F401 (fixtures)

APP = "../../app.py"
PASSWORD = "correct horse 1"


def _run(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _director(login: str = "boss") -> None:
    accounts.add(state.store(), login, PASSWORD, "director", name="总监", viewer=LOCAL)


def _submit(at: AppTest) -> AppTest:
    # The form's submit button is the only button of the sign-in page (the OIDC button is off without secrets).
    next(b for b in at.button if b.label == t("auth.signin.submit", "zh")).click()
    return at


def _texts(at: AppTest) -> list[str]:
    return [e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success)]


def _director_viewer() -> Viewer:
    return accounts.viewer_of(next(a for a in accounts.accounts(state.store()) if a.role == "director"))


# -- local mode ----------------------------------------------------------------------------------
def test_a_store_without_accounts_serves_every_director_page_with_the_local_mode_notice(env):  # noqa: F811
    at = _run()
    assert at.title[0].value == t("ui.page.overview", "zh")
    notice = [m.value for m in at.markdown if t("auth.local.badge", "zh") in m.value]
    assert notice and t("auth.local.notice", "zh") in notice[0]
    assert "viewer" not in at.session_state
    for page in PAGES["director"][1:]:
        at.switch_page(f"app_pages/{page}.py")
        _run(at)
        assert at.title[0].value == t(f"ui.page.{page}", "zh")


def test_local_mode_is_refused_to_another_computer_with_how_to_open_it(env, monkeypatch):  # noqa: F811
    monkeypatch.setattr(auth, "client_ip", lambda: "192.168.1.20")
    at = _run()
    assert [e.value for e in at.error] == [t("auth.local.remote", "zh")]
    assert "--server.address 0.0.0.0" in at.error[0].value
    assert [x.value for x in at.title] == [t("ui.app.title", "zh")]
    assert not at.dataframe and not at.metric and not at.button


def test_loopback_addresses_count_as_this_computer():
    assert auth.is_loopback(None) and auth.is_loopback("127.0.0.1") and auth.is_loopback("::1")
    assert not auth.is_loopback("192.168.1.20") and not auth.is_loopback("fe80::1%eth0")
    assert not auth.is_loopback("not an address")


def test_the_first_director_account_made_from_the_notice_turns_sign_in_on(env):  # noqa: F811
    at = _run()
    at.button(key="local_create_director").click()
    _run(at)
    at.text_input(key="first_login").input("boss")
    at.text_input(key="first_name").input("张总")
    at.text_input(key="first_password").input(PASSWORD)
    at.text_input(key="first_again").input(PASSWORD)
    next(b for b in at.button if b.label == t("auth.first.submit", "zh")).click()
    _run(at)
    assert [a.login for a in accounts.accounts(state.store())] == ["boss"]
    assert at.title[0].value == t("auth.signin.title", "zh")
    assert at.success[0].value == md(t("auth.first.created", "zh", login="boss"))
    _sign_in_form_only(at)


def test_the_first_director_form_refuses_two_different_passwords(env):  # noqa: F811
    at = _run()
    at.button(key="local_create_director").click()
    _run(at)
    at.text_input(key="first_login").input("boss")
    at.text_input(key="first_password").input(PASSWORD)
    at.text_input(key="first_again").input(PASSWORD + "x")
    next(b for b in at.button if b.label == t("auth.first.submit", "zh")).click()
    _run(at)
    assert t("auth.password.mismatch", "zh") in [e.value for e in at.error]
    assert not accounts.has_accounts(state.store())


# -- the sign-in gate ----------------------------------------------------------------------------
def _sign_in_form_only(at: AppTest) -> None:
    """Nothing but the sign-in form (and the language switch) is on the screen."""
    assert [x.value for x in at.title] == [t("auth.signin.title", "zh")]
    assert [x.label for x in at.text_input] == [t("auth.signin.login", "zh"), t("auth.signin.password", "zh")]
    assert [r.key for r in at.radio] == ["lang"]
    assert not at.dataframe and not at.metric and not at.selectbox and not at.date_input
    assert not at.sidebar.children or all(not c.children for c in at.sidebar.children.values())


def test_with_an_account_nothing_but_the_sign_in_form_is_served(sample_env):  # noqa: F811
    _director()
    at = _run()
    _sign_in_form_only(at)
    with pytest.raises(ValueError):  # no other page is in the navigation
        at.switch_page("app_pages/upload.py")


def test_the_sign_in_form_switches_to_english(sample_env):  # noqa: F811
    _director()
    at = _run()
    at.radio(key="lang").set_value("en")
    _run(at)
    assert [x.value for x in at.title] == [t("auth.signin.title", "en")]
    assert [x.label for x in at.text_input] == [t("auth.signin.login", "en"), t("auth.signin.password", "en")]
    at.text_input(key="signin_login").input("boss")
    at.text_input(key="signin_password").input("wrong password")
    next(b for b in at.button if b.label == t("auth.signin.submit", "en")).click()
    _run(at)
    assert [e.value for e in at.error] == [md(accounts.AccessError("access.bad_credentials").message("en"))]


def test_with_accounts_another_computer_gets_the_sign_in_form(sample_env, monkeypatch):  # noqa: F811
    _director()
    monkeypatch.setattr(auth, "client_ip", lambda: "192.168.1.20")
    _sign_in_form_only(_run())


def test_wrong_credentials_give_one_message_whether_the_login_or_the_password_is_wrong(sample_env):  # noqa: F811
    _director()
    wrong = md(accounts.AccessError("access.bad_credentials").message("zh"))
    at = _run()
    for login, password in (("boss", "wrong password"), ("nobody", PASSWORD)):
        at.text_input(key="signin_login").input(login)
        at.text_input(key="signin_password").input(password)
        _run(_submit(at))
        assert [e.value for e in at.error] == [wrong]
        assert "viewer" not in at.session_state
        _sign_in_form_only_but_errors(at)


def _sign_in_form_only_but_errors(at: AppTest) -> None:
    assert [x.value for x in at.title] == [t("auth.signin.title", "zh")]
    assert not at.dataframe and not at.metric


def test_five_wrong_passwords_lock_the_login_even_for_the_right_password(sample_env):  # noqa: F811
    _director()
    at = _run()
    wrong = md(accounts.AccessError("access.bad_credentials").message("zh"))
    for _ in range(5):
        at.text_input(key="signin_login").input("boss")
        at.text_input(key="signin_password").input("wrong password")
        _run(_submit(at))
    at.text_input(key="signin_password").input(PASSWORD)
    _run(_submit(at))
    assert len(at.error) == 1 and at.error[0].value != wrong
    assert t("access.locked", "zh").split("{")[0] in at.error[0].value
    assert "viewer" not in at.session_state


def test_a_right_sign_in_opens_the_roles_home_and_writes_the_session_cookie(sample_env):  # noqa: F811
    _director()
    accounts.add(state.store(), "wang", PASSWORD, "kam", name="王伟", kam="王伟", viewer=_director_viewer())
    at = _run()
    at.text_input(key="signin_login").input("Wang")  # logins are case-insensitive
    at.text_input(key="signin_password").input(PASSWORD)
    _run(_submit(at))
    viewer = at.session_state["viewer"]
    assert (viewer.login, viewer.role, viewer.kam) == ("wang", "kam", "王伟")
    assert at.title[0].value == t("ui.page.mine", "zh")
    token = at.session_state[auth.TOKEN]
    assert sessions.resume(state.store(), token).login == "wang"
    scripts = [h.proto.body for h in at.html if auth.COOKIE in h.proto.body]
    assert len(scripts) == 1 and f"{auth.COOKIE}={token}; path=/; expires=" in scripts[0]
    assert "samesite=strict" in scripts[0]


def test_a_new_browser_session_with_the_cookie_resumes_the_sign_in(sample_env, monkeypatch):  # noqa: F811
    _director()
    token = sessions.start(state.store(), _director_viewer())
    monkeypatch.setattr(auth, "_cookie", lambda: token)
    at = _run()
    assert at.session_state["viewer"].login == "boss"
    assert at.title[0].value == t("ui.page.overview", "zh")
    sessions.end(state.store(), token)  # a sign-out in another tab
    at.run()
    _sign_in_form_only(at)


def test_an_account_disabled_meanwhile_is_signed_out_at_its_next_click(sample_env):  # noqa: F811
    _director()
    accounts.add(state.store(), "wang", PASSWORD, "kam", kam="王伟", viewer=_director_viewer())
    at = _run()
    at.text_input(key="signin_login").input("wang")
    at.text_input(key="signin_password").input(PASSWORD)
    _run(_submit(at))
    assert at.title[0].value == t("ui.page.mine", "zh")
    accounts.disable(state.store(), "wang", viewer=_director_viewer())
    at.run()
    _sign_in_form_only(at)
    assert [w.value for w in at.warning] == [md(t("auth.signin.stale", "zh"))]
    assert "viewer" not in at.session_state


def test_a_forged_cookie_gets_the_sign_in_form_saying_the_sign_in_ended(sample_env, monkeypatch):  # noqa: F811
    _director()
    monkeypatch.setattr(auth, "_cookie", lambda: "0" * 32 + "." + "f" * 64)
    at = _run()
    _sign_in_form_only(at)
    assert [w.value for w in at.warning] == [md(t("auth.signin.stale", "zh"))]
    at.run()
    assert not at.warning, "said once"


def test_a_damaged_secret_file_says_so_and_asks_everyone_to_sign_in_again(sample_env, monkeypatch):  # noqa: F811
    import streamlit as st

    _director()
    store = state.store()
    token = sessions.start(store, _director_viewer())
    path = sessions.secret_path(store)
    store.close()  # the server stops; someone damages the secret file; the server starts again
    st.cache_resource.clear()
    path.write_text("not a secret")
    monkeypatch.setattr(auth, "_cookie", lambda: token)
    at = _run()
    _sign_in_form_only(at)
    expected = md(accounts.AccessError("access.secret_damaged", path=path).message("zh"))
    assert [w.value for w in at.warning] == [expected]
    assert [a.login for a in accounts.accounts(state.store())] == ["boss"], "nothing else lost"


def test_sign_out_ends_the_session_and_removes_the_cookie(sample_env):  # noqa: F811
    _director()
    at = _run()
    at.text_input(key="signin_login").input("boss")
    at.text_input(key="signin_password").input(PASSWORD)
    _run(_submit(at))
    token = at.session_state[auth.TOKEN]
    at.button(key="signout").click()
    _run(at)
    assert sessions.resume(state.store(), token) is None
    _sign_in_form_only(at)
    assert at.info[0].value == md(t("auth.signed_out", "zh"))
    assert any(f"{auth.COOKIE}=; path=/; max-age=0" in h.proto.body for h in at.html)


def test_the_change_password_dialog_changes_the_accounts_password(sample_env):  # noqa: F811
    _director()
    at = _run()
    at.text_input(key="signin_login").input("boss")
    at.text_input(key="signin_password").input(PASSWORD)
    _run(_submit(at))
    at.button(key="passwd_open").click()
    _run(at)
    at.text_input(key="passwd_old").input(PASSWORD)
    at.text_input(key="passwd_new").input("a new password 2")
    at.text_input(key="passwd_again").input("a new password 2")
    next(b for b in at.button if b.label == t("auth.passwd.submit", "zh")).click()
    _run(at)
    assert md(t("auth.passwd.done", "zh")) in [s.value for s in at.success]
    assert accounts.sign_in(state.store(), "boss", "a new password 2").login == "boss"
    with pytest.raises(accounts.AccessError):
        accounts.sign_in(state.store(), "boss", PASSWORD)


# -- each role's navigation ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "extra"),
    [("finance", {}), ("team_lead", {"team": None}), ("kam", {"kam": "王伟"})],
)
def test_a_role_has_exactly_its_pages_and_no_other_page_file_is_registered(sample_env, role, extra):  # noqa: F811
    _director()
    if "team" in extra:
        from kam_metrics.engine import report
        from kam_metrics.present import common

        extra = {"team": next(x for x in common.teams(report.compute(state.store())) if x)}
    accounts.add(state.store(), "who", PASSWORD, role, name="某人", viewer=_director_viewer(), **extra)
    at = _run()
    at.text_input(key="signin_login").input("who")
    at.text_input(key="signin_password").input(PASSWORD)
    _run(_submit(at))
    pages = PAGES[role]
    assert at.title[0].value == t(f"ui.page.{pages[0]}", "zh")
    for page in pages[1:]:
        at.switch_page(f"app_pages/{page}.py")
        _run(at)
        assert at.title[0].value == t(f"ui.page.{page}", "zh")
    for page in set(PAGES["director"]) | {"mine"}:
        if page not in pages:
            with pytest.raises(ValueError):
                at.switch_page(f"app_pages/{page}.py")
    assert ("team" in [s.key for s in at.selectbox]) is (role == "finance")


# -- OIDC (st.login), optional: the mapping of an identity provider's user to an account ------------
def test_an_identity_providers_user_maps_to_the_account_of_its_email(env):  # noqa: F811
    from types import SimpleNamespace

    accounts.add(state.store(), "zhang@corp.cn", PASSWORD, "director", name="张总", viewer=LOCAL)
    store = state.store()
    assert auth.viewer_for_user(store, SimpleNamespace(email=" Zhang@Corp.cn ")).login == "zhang@corp.cn"
    assert auth.viewer_for_user(store, {"email": "zhang@corp.cn"}).role == "director"
    assert auth.viewer_for_user(store, {"email": "li@corp.cn"}) is None
    assert auth.viewer_for_user(store, SimpleNamespace(email=None)) is None
    assert auth.viewer_for_user(store, {}) is None
