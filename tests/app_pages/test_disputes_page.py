"""app_pages/disputes.py and close.py on a real store: the director's queue and decisions, a KAM filing, the close."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import auth, state
from kam_metrics.access import accounts, sessions
from kam_metrics.access.roles import LOCAL, Viewer
from kam_metrics.engine import report
from kam_metrics.i18n import t
from kam_metrics.ingest import closes, decisions
from kam_metrics.ingest.store import Store
from kam_metrics.present import disputes
from tests.app_pages.conftest import FULL_PHONE, literal, shown_text

ROOT = Path(__file__).resolve().parents[2]
NAV_APP = "../../app.py"


PASSWORD = "correct horse 1"


def sign_in_as(at: AppTest, viewer: Viewer) -> None:
    """Make ``viewer``'s account (after the director every store needs first) and start its session in ``at``."""
    store = state.store()
    if not accounts.has_accounts(store):
        accounts.add(store, "boss", PASSWORD, "director", viewer=LOCAL)
    if accounts.find(store, viewer.login) is None:
        accounts.add(
            store, viewer.login, PASSWORD, viewer.role, kam=viewer.kam, team=viewer.team, viewer=LOCAL
        )
    at.session_state[auth.TOKEN] = sessions.start(store, accounts.sign_in(store, viewer.login, PASSWORD))


def open_page(name: str, viewer: Viewer | None = None) -> AppTest:
    at = AppTest.from_file(NAV_APP, default_timeout=90)
    if viewer is not None:
        sign_in_as(at, viewer)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(str(ROOT / "app_pages" / f"{name}.py")).run()
    assert not at.exception, at.exception
    return at


def refused_visit(store: Store, kam: str) -> disputes.Row:
    """The newest refused visit of ``kam`` in the store."""
    res = report.compute(store)
    return disputes.rows(res, Viewer(login=kam, role="kam", kam=kam), "visit", "zh", refused_only=True)[0]


def file_as_kam(env: Path, kam: str = "王伟") -> int:
    store = Store(env / "kam.duckdb")
    try:
        viewer = Viewer(login="wang", role="kam", kam=kam)
        row = refused_visit(store, kam)
        dispute_id, _ = disputes.file_dispute(
            store, report.compute(store), viewer, row, "valid", "客户是我带来的"
        )
        return dispute_id
    finally:
        store.close()


def stored(env: Path, what):
    store = Store(env / "kam.duckdb")
    try:
        return what(store)
    finally:
        store.close()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_director_sees_the_queue_with_evidence_and_what_if_and_accepts(sample_env):
    dispute_id = file_as_kam(sample_env)
    at = open_page("disputes")
    assert at.subheader[0].value == "申诉队列（待处理 1 条）"
    text = shown_text(at)
    assert "客户是我带来的" in text and "2026-W48_周报.xlsx" in text  # the note and the evidence's file
    assert not FULL_PHONE.search(text)
    evidence = next(df.value for df in at.dataframe if "当时报备归属" in df.value.columns)
    assert list(evidence.columns) == [
        "时间",
        "事件",
        "大客户经理",
        "状态",
        "详情",
        "当时报备归属",
        "文件",
        "工作表",
        "行号",
    ]
    assert any("罚款（裁定后）" in df.value.columns for df in at.dataframe) or any(
        c.value == "受理不会改变任何罚款、佣金或标记" for c in at.caption
    )
    at.text_input(key="decide_reason").input("核实为首访")
    button(at, "受理并裁定").click().run()
    assert not at.exception, at.exception
    assert literal(at.success[0].value).startswith(f"申诉 #{dispute_id} 已受理")
    frame = stored(sample_env, decisions.disputes)
    assert frame[["state", "decision_reason", "decided_by"]].values.tolist() == [
        ["accepted", "核实为首访", "local"]
    ]
    adjudications = next(df.value for df in at.dataframe if "孤立" in df.value.columns)
    assert adjudications[["编号", "类别", "裁定结果", "原因", "申诉"]].values.tolist() == [
        ["#1", "带访", "有效", "核实为首访", f"#{dispute_id}"]
    ]
    at.checkbox(key="adj_refused").uncheck()  # the direct adjudication's picker then lists valid rows too
    at.selectbox(key="adj_kam").select("王伟").run()
    marked = [o for o in at.selectbox(key="adj_row").options if "人工裁定" in o]
    assert marked == ["2026-11-25 11:14 · 王伟 · 199****4465 · 顾晨阳 · 有效 · 人工裁定：核实为首访"]


def test_a_reject_without_a_reason_is_refused_and_changes_nothing(sample_env):
    file_as_kam(sample_env)
    at = open_page("disputes")
    button(at, "驳回").click().run()
    assert [e.value for e in at.error] == ["请填写理由"]
    assert stored(sample_env, decisions.disputes)["state"].tolist() == ["open"]


def test_a_kam_files_on_their_own_refused_visit_and_sees_it_open(sample_env):
    wang = Viewer(login="wang", role="kam", kam="王伟")
    at = open_page("disputes", viewer=wang)
    assert at.subheader[0].value == "提交申诉"
    assert not any(s.label == "大客户经理" for s in at.selectbox)  # one KAM: no KAM picker
    at.text_area(key="file_note").input("我先报备的")
    next(b for b in at.button if b.label == "提交申诉").click().run()
    assert not at.exception, at.exception
    frame = stored(sample_env, decisions.disputes)
    assert frame[["kind", "kam", "asked_verdict", "note", "filed_by", "state"]].values.tolist() == [
        ["visit", "王伟", "valid", "我先报备的", "wang", "open"]
    ]
    mine = next(df.value for df in at.dataframe if "提交人" in df.value.columns)
    assert mine[["状态", "提交人"]].values.tolist() == [["待处理", "wang"]]


def test_finance_has_no_disputes_page(sample_env):
    # The navigation registers no disputes page for finance (its address is a refusal page); the page file
    # itself refuses too when run for finance.
    at = AppTest.from_file("../../app_pages/disputes.py", default_timeout=90)
    at.session_state["viewer"] = Viewer(login="fin", role="finance")
    at.run()
    page, role = t("ui.page.disputes", "zh"), t("auth.role.finance", "zh")
    assert [e.value for e in at.error] == [t("auth.refused", "zh", page=page, role=role)]
    assert not at.button


def test_the_close_page_previews_closes_and_lists_the_close(sample_env):
    at = open_page("close", viewer=Viewer(login="fin", role="finance"))
    assert at.subheader[0].value == "2026-09 结算单（每位大客户经理）"
    assert [s.value for s in at.success] == ["2026-09 可以月结"]
    button(at, "月结 2026-09").click().run()
    assert not at.exception, at.exception
    assert literal(at.success[0].value).startswith("2026-09 已月结")
    frame = stored(sample_env, closes.closes)
    assert frame[["month", "closed_by", "implicit"]].values.tolist() == [["2026-09", "fin", False]]
    assert not any(b.label.startswith("重新打开") for b in at.button)  # finance does not reopen


def test_the_close_page_lists_what_blocks_a_month(sample_env):
    at = open_page("close")
    at.selectbox(key="close_month").select("2026-11").run()
    warning = literal(at.warning[0].value)
    assert "2026-11 尚不能月结" in warning and "请先月结 2026-09, 2026-10" in warning
    assert button(at, "月结 2026-11").disabled
