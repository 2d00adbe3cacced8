"""The director's pages (账号管理, 操作日志) and the audit trail of dashboard actions, run by AppTest on a real store:
every change made in the dashboard is recorded under the signed-in login."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard import state
from dashboard.text import md
from kam_metrics.access import accounts, audit
from kam_metrics.access.roles import LOCAL
from kam_metrics.i18n import t
from tests.app_pages.conftest import CSV_LEADS, env, frame, sample_env, sample_store  # noqa: F401 (fixtures)

APP = "../../app.py"
PASSWORD = "correct horse 1"


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def _signed_in_director(page: str | None = None) -> AppTest:
    accounts.add(state.store(), "boss", PASSWORD, "director", name="张总", viewer=LOCAL)
    at = _run(AppTest.from_file(APP, default_timeout=60))
    at.text_input(key="signin_login").input("boss")
    at.text_input(key="signin_password").input(PASSWORD)
    next(b for b in at.button if b.label == t("auth.signin.submit", "zh")).click()
    _run(at)
    assert at.session_state["viewer"].login == "boss"
    if page:
        at.switch_page(f"app_pages/{page}.py")
        _run(at)
    return at


def _submit(at: AppTest, label_key: str) -> AppTest:
    next(b for b in at.button if b.label == t(label_key, "zh")).click()
    return _run(at)


def test_the_director_creates_a_kam_account_for_a_name_in_no_data_with_a_warning(sample_env):  # noqa: F811
    at = _signed_in_director("accounts")
    at.selectbox(key="acct_role").set_value("kam")
    _run(at)
    at.text_input(key="acct_login").input("zhao")
    at.text_input(key="acct_name").input("赵六")
    at.text_input(key="acct_kam").input("赵六")
    at.text_input(key="acct_password").input(PASSWORD)
    at.text_input(key="acct_again").input(PASSWORD)
    _submit(at, "auth.accounts.create_submit")
    made = {a.login: (a.role, a.kam, a.active) for a in accounts.accounts(state.store())}
    assert made == {"boss": ("director", None, True), "zhao": ("kam", "赵六", True)}
    assert [s.value for s in at.success] == [md(t("auth.accounts.created_ok", "zh", login="zhao"))]
    warning = accounts.AccessError("access.kam_not_in_data", kam="赵六").message("zh")
    assert [w.value for w in at.warning] == [md(warning)]
    table = frame(at, t("auth.field.login", "zh"))
    assert table[t("auth.field.login", "zh")].tolist() == ["boss", "zhao"]
    assert table[t("auth.field.role", "zh")].tolist() == ["总监", "大客户经理"]


def test_a_team_lead_of_a_team_not_in_the_roster_is_refused_with_the_cores_message(sample_env):  # noqa: F811
    at = _signed_in_director("accounts")
    at.selectbox(key="acct_role").set_value("team_lead")
    _run(at)
    at.text_input(key="acct_login").input("lead")
    at.text_input(key="acct_team").input("九组")
    at.text_input(key="acct_password").input(PASSWORD)
    at.text_input(key="acct_again").input(PASSWORD)
    _submit(at, "auth.accounts.create_submit")
    assert [e.value for e in at.error] == [
        md(accounts.AccessError("access.unknown_team", team="九组").message("zh"))
    ]
    assert [a.login for a in accounts.accounts(state.store())] == ["boss"]


def test_reset_and_disable_are_made_by_the_signed_in_director_and_audited_so(sample_env):  # noqa: F811
    at = _signed_in_director()
    accounts.add(state.store(), "wang", PASSWORD, "kam", kam="王伟", viewer=at.session_state["viewer"])
    at.switch_page("app_pages/accounts.py")
    _run(at)
    at.selectbox(key="acct_reset_login").set_value("wang")
    at.text_input(key="acct_reset_pw").input("another pass 2")
    at.text_input(key="acct_reset_again").input("another pass 2")
    _submit(at, "auth.accounts.reset_submit")
    assert accounts.sign_in(state.store(), "wang", "another pass 2").kam == "王伟"
    at.selectbox(key="acct_switch_login").set_value("wang")
    _run(at)
    at.button(key="acct_switch").click()
    _run(at)
    assert not next(a for a in accounts.accounts(state.store()) if a.login == "wang").active
    log = audit.entries(state.store())
    assert log[log["action"].isin(["user_passwd", "user_disable"])][
        ["login", "action", "target"]
    ].values.tolist() == [
        ["boss", "user_passwd", "wang"],
        ["boss", "user_disable", "wang"],
    ]


def test_an_upload_and_its_undo_in_the_dashboard_are_recorded_under_the_signed_in_login(env):  # noqa: F811
    at = _signed_in_director("upload")
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    assert not at.exception, at.exception
    at.button(key="upload_undo").click()
    _run(at)
    at.button(key="upload_undo_yes").click()
    _run(at)
    log = audit.entries(state.store())
    assert log[log["action"].isin(["upload", "undo"])][["login", "action"]].values.tolist() == [
        ["boss", "upload"],
        ["boss", "undo"],
    ]


def test_the_audit_page_filters_by_who_and_action(sample_env):  # noqa: F811
    at = _signed_in_director()
    accounts.add(state.store(), "wang", PASSWORD, "kam", kam="王伟", viewer=at.session_state["viewer"])
    at.switch_page("app_pages/audit.py")
    _run(at)
    login, action = t("audit.col.login", "zh"), t("audit.col.action", "zh")
    everything = frame(at, login)
    assert {"local", "boss"} <= set(everything[login])
    at.selectbox(key="audit_who").set_value("boss")
    at.selectbox(key="audit_action").set_value("user_add")
    _run(at)
    shown = frame(at, login)
    assert shown[[login, action, t("audit.col.target", "zh")]].values.tolist() == [
        ["boss", t("audit.action.user_add", "zh"), "wang"]
    ]
    assert at.main.caption[-1].value == t("auth.audit.count", "zh", n=1)
