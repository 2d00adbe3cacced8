"""The audit log (SPEC §10): one entry per change with its actor, target and details, written in the action's own
transaction, refused actions leave none, nothing ever edits the log, and its export keeps text as text."""

from __future__ import annotations

import datetime as dt
import getpass
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from kam_metrics.access import audit
from kam_metrics.access.roles import Refused, Viewer
from kam_metrics.contract.rules import RuleSet, rules_from_dict
from kam_metrics.ingest import closes, decisions, rules_table
from kam_metrics.ingest.store import Store
from tests.helpers import write_csv

CLI = "cli:" + getpass.getuser()
BOSS = Viewer("boss", "director")
KAM = Viewer("zhang", "kam", kam="张三")
P = "13800000001"
LEAD = {"kam": "张三", "phone": P, "at": "2026-09-08 10:00:00"}
RULES = rules_from_dict(
    {"targets": {"units": 0, "batches": 0, "numbers": 1}, "fines": {"numbers": Decimal(50)}}
)


def entries(store, action=None) -> list[tuple]:
    return [
        (r.login, r.action, r.target, json.loads(r.details))
        for r in audit.entries(store, action=action).itertuples()
    ]


def csv(tmp_path: Path, kind: str, rows: list[dict], name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return write_csv(folder / f"{name}.csv", kind, rows)


@pytest.fixture
def data(store, tmp_path):
    """Two uploads by the director: a roster (one row) and leads (two accepted, one rejected)."""
    store.ingest(
        csv(tmp_path, "roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}], "roster"),
        viewer=BOSS,
    )
    leads = [
        {"reported_at": "2026-09-08 10:00", "kam": "张三", "phone": P},
        {"reported_at": "2026-09-22 10:00", "kam": "张三", "phone": "13800000002"},
        {"reported_at": "2026-09-23 10:00", "kam": "张三", "phone": "12345"},
    ]
    store.ingest(csv(tmp_path, "leads", leads, "leads"), viewer=BOSS)
    return store


def test_an_upload_is_audited_with_its_counts_and_actor(data):
    assert entries(data) == [
        ("boss", "upload", "roster.csv", {"upload_id": 1, "sheets": 1, "repeat_of": None, "read": 1, "accepted": 1,
                                          "rejected": 0, "duplicates": 0, "warnings": 0}),
        ("boss", "upload", "leads.csv", {"upload_id": 2, "sheets": 1, "repeat_of": None, "read": 3, "accepted": 2,
                                         "rejected": 1, "duplicates": 0, "warnings": 0}),
    ]  # fmt: skip


def test_undo_rebuild_and_clear_are_audited_with_the_rows_they_touch(data):
    data.rebuild(viewer=BOSS)
    data.undo(2)  # the command line's viewer
    data.clear(viewer=BOSS)
    assert entries(data)[2:] == [
        ("boss", "rebuild", "", {"uploads": 2, "rows": 4}),
        (CLI, "undo", "#2 leads.csv", {"upload_id": 2, "file": "leads.csv", "rows_removed": 3}),
        ("boss", "clear", "", {"uploads": 1, "rows_removed": 1}),
    ]


def test_a_role_that_may_not_act_is_refused_and_nothing_is_stored_or_audited(data, tmp_path):
    before = data.counts()
    path = csv(tmp_path, "roster", [{"kam": "李四", "team": "一组", "start_date": "2026-09-07"}], "more")
    for call in (
        lambda: data.ingest(path, viewer=KAM),
        lambda: data.undo(1, viewer=KAM),
        lambda: data.rebuild(viewer=Viewer("fin", "finance")),
        lambda: data.clear(viewer=KAM),
        lambda: rules_table.set_rules(data, RULES, viewer=KAM),
        lambda: decisions.adjudicate(data, "lead", verdict="valid", reason="x", viewer=KAM, **LEAD),
        lambda: closes.reopen_month(data, "2026-09", "x", viewer=Viewer("fin", "finance")),
    ):
        with pytest.raises(Refused):
            call()
    assert data.counts() == before and len(entries(data)) == 2


def test_rules_saves_are_audited_with_old_and_new_values(data):
    rules_table.set_rules(data, RULES, viewer=BOSS)
    rules_table.add_change(data, dt.date(2026, 10, 5), {"targets.numbers": 3}, viewer=BOSS)
    (replaced,) = entries(data, "rules_set")
    assert replaced[:3] == ("boss", "rules_set", "")
    assert replaced[3] == {"old": RuleSet().to_toml(), "new": RuleSet(base=RULES).to_toml()}
    assert entries(data, "rules_change") == [
        ("boss", "rules_change", "2026-10-05", {"effective_from": "2026-10-05", "old": {"targets.numbers": "1"},
                                                "new": {"targets.numbers": "3"}}),
    ]  # fmt: skip


def test_adjudications_and_their_removal_are_audited_with_the_key_and_verdict(data):
    made, _ = decisions.adjudicate(data, "lead", verdict="duplicate_own", reason="重复", viewer=BOSS, **LEAD)
    decisions.remove_adjudication(data, made, reason="看错了", viewer=BOSS)
    key = {"kind": "lead", "kam": "张三", "phone": P, "row_at": "2026-09-08T10:00:00"}
    target = f"lead 张三 / {P} / 2026-09-08 10:00:00"
    assert entries(data)[2:] == [
        ("boss", "adjudicate", f"#1 {target}", {**key, "verdict": "duplicate_own", "verdict_kam": None,
                                                 "reason": "重复", "warning": None}),
        ("boss", "remove_adjudication", "#1", {**key, "row_date": None, "unit_key": None, "property": None,
                                                "verdict": "duplicate_own", "verdict_kam": None, "reason": "看错了"}),
    ]  # fmt: skip
    stored = decisions.stored_adjudications(data).iloc[0]
    assert (stored["decided_by"], stored["removed_by"]) == ("boss", "boss"), "the viewer's login is the by"


def test_disputes_filed_withdrawn_accepted_and_rejected_are_audited(data):
    first, _ = decisions.file(data, "lead", asked_verdict="valid", note="我先报备", viewer=KAM, **LEAD)
    decisions.withdraw(data, first, viewer=KAM)
    second, _ = decisions.file(data, "lead", asked_verdict="valid", note="", viewer=KAM, **LEAD)
    decisions.accept(data, second, reason="属实", viewer=BOSS)
    third, _ = decisions.file(data, "lead", asked_verdict="valid", note="", by="kam:张三", **LEAD)
    decisions.reject(data, third, reason="超出保护期", viewer=BOSS)
    key = {"kind": "lead", "kam": "张三", "phone": P, "row_at": "2026-09-08T10:00:00"}
    target = f"lead 张三 / {P} / 2026-09-08 10:00:00"
    filed = {**key, "asked_verdict": "valid", "asked_kam": None, "warning": None}
    assert entries(data)[2:] == [
        ("zhang", "dispute_file", f"#1 {target}", filed),
        ("zhang", "dispute_withdraw", "#1", {"kind": "lead"}),
        ("zhang", "dispute_file", f"#2 {target}", filed),
        ("boss", "dispute_accept", "#2", {**key, "verdict": "valid", "verdict_kam": None, "reason": "属实",
                                          "adjudication_id": 1}),
        ("kam:张三", "dispute_file", f"#3 {target}", filed),
        ("boss", "dispute_reject", "#3", {"kind": "lead", "filed_by": "kam:张三", "reason": "超出保护期"}),
    ]  # fmt: skip
    assert decisions.disputes(data)["filed_by"].tolist() == ["zhang", "zhang", "kam:张三"]


def test_only_the_filer_withdraws_a_dispute_by_viewer_login(data):
    made, _ = decisions.file(data, "lead", asked_verdict="valid", note="", viewer=KAM, **LEAD)
    with pytest.raises(decisions.DecisionError):
        decisions.withdraw(data, made, viewer=Viewer("li", "kam", kam="李四"))
    assert len(entries(data, "dispute_withdraw")) == 0


def test_a_close_and_a_reopen_are_audited_with_the_month(data):
    # September's items: the fines of W37, W38 and W39 (the weeks ending in it); no deal, so no commission
    closes.close_month(
        data, "2026-09", rules=RULES, as_of=dt.date(2026, 9, 30), viewer=Viewer("fin", "finance")
    )
    closes.reopen_month(data, "2026-09", "漏传一周", viewer=BOSS)
    assert entries(data)[2:] == [
        ("fin", "close", "2026-09", {"close_id": 1, "as_of": "2026-09-30", "items": 3, "adjustments": 0,
                                     "implicit": []}),
        ("boss", "reopen", "2026-09", {"reason": "漏传一周", "months": ["2026-09"], "latest_closed": None}),
    ]  # fmt: skip
    assert closes.closes(data)["closed_by"].tolist() == ["fin"]


def test_an_action_that_fails_leaves_no_entry(data, monkeypatch):
    from kam_metrics.ingest import store as store_module

    def boom(cur):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(store_module, "_before_commit_hook", boom)
    path = data.uploads_dir.parent / "roster" / "roster.csv"
    with pytest.raises(RuntimeError):
        data.ingest(path, name="again.csv", viewer=BOSS)
    assert len(entries(data)) == 2


def test_clear_rebuild_and_undo_keep_the_audit_log_accounts_and_sessions(data):
    from kam_metrics.access import accounts, sessions

    accounts.add(data, "boss", "correct horse", "director")
    token = sessions.start(data, accounts.sign_in(data, "boss", "correct horse"))
    data.undo(2)
    data.rebuild()
    data.clear()
    assert [e[1] for e in entries(data)] == [
        "upload", "upload", "user_add", "sign_in", "undo", "rebuild", "clear"]  # fmt: skip
    assert [a.login for a in accounts.accounts(data)] == ["boss"]
    assert sessions.resume(data, token).login == "boss"


def test_no_code_updates_or_deletes_the_audit_log():
    root = Path(__file__).resolve().parents[3] / "kam_metrics"
    edits = re.compile(r"(update\s+audit_log|delete\s+from\s+audit_log|drop\s+table\s+(if\s+exists\s+)?audit_log"
                       r"|truncate\s+audit_log|alter\s+table\s+audit_log)", re.IGNORECASE)  # fmt: skip
    found = [
        str(p) for p in root.rglob("*") if p.suffix in (".py", ".sql") and edits.search(p.read_text("utf-8"))
    ]
    assert found == []


def test_entries_filter_by_login_action_and_date_range(store):
    cur = store.cursor()
    for at, login, action in [
        (dt.datetime(2026, 11, 1, 23, 59), "Boss", "upload"),
        (dt.datetime(2026, 11, 2, 0, 0), "fin", "close"),
        (dt.datetime(2026, 11, 3, 12, 0), "boss", "undo"),
    ]:
        audit.record(cur, login, action, "t", {}, at=at)
    shown = lambda **f: audit.entries(store, **f)["action"].tolist()  # noqa: E731
    assert shown() == ["upload", "close", "undo"]
    assert shown(login="BOSS") == ["upload", "undo"]
    assert shown(action="close") == ["close"]
    assert shown(since=dt.date(2026, 11, 2)) == ["close", "undo"]
    assert shown(until=dt.date(2026, 11, 2)) == ["upload", "close"]
    assert shown(since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 2), login="fin") == ["close"]
    assert list(audit.entries(store).columns) == ["at", "login", "action", "target", "details"]


def test_an_unknown_action_is_not_recorded(store):
    with pytest.raises(ValueError):
        audit.record(store.cursor(), "boss", "format_disk", "", {})


def test_the_workbook_writes_every_text_cell_as_text_never_a_formula(store):
    at = dt.datetime(2026, 11, 2, 9, 30, 5)
    audit.record(store.cursor(), "=cmd|' /C calc'!A0", "upload", '=HYPERLINK("x")', {"file": "=1+1"}, at=at)
    for lang, header, word in (("zh", "时间", "上传"), ("en", "time", "upload")):
        book = openpyxl.load_workbook(io.BytesIO(audit.workbook(audit.entries(store), lang)))
        sheet = book.active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == header
        assert rows[1] == (at, "=cmd|' /C calc'!A0", word, '=HYPERLINK("x")', '{"file": "=1+1"}')
        assert all(cell.data_type == "s" for cell in sheet[2][1:])


def test_a_v4_store_written_by_main_upgrades_to_five_keeping_its_data(tmp_path):
    """tests/data/stores/v4: schema 4 as main wrote it (see its README); it opens, upgrades in place, keeps its rows
    and decisions, and its later changes are audited."""
    import shutil

    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "stores" / "v4", tmp_path / "v4")
    store = Store(tmp_path / "v4" / "kam.duckdb")
    try:
        cur = store.cursor()
        assert cur.execute("select value from meta where key = 'schema_version'").fetchall() == [("6",)]
        assert {k: v for k, v in store.counts().items() if v} == {
            "roster": 1,
            "leads": 1,
            "rejected": 1,
            "uploads": 2,
        }
        assert cur.execute("select kam, team from roster").fetchall() == [("张三", "一组")]
        adjudication = decisions.stored_adjudications(store).iloc[0]
        assert (adjudication["verdict"], adjudication["reason"], adjudication["decided_by"]) == (
            "valid",
            "纸质单",
            "cli:main",
        )
        assert audit.entries(store).empty
        assert [cur.execute(f"select count(*) from {t}").fetchall()[0][0]
                for t in ("accounts", "sign_in_failures", "sessions")] == [0, 0, 0]  # fmt: skip
        store.undo(2)
        from kam_metrics.access import accounts

        accounts.add(store, "lead1", "correct horse", "director")
        assert entries(store) == [
            (CLI, "undo", "#2 报备.csv", {"upload_id": 2, "file": "报备.csv", "rows_removed": 2}),
            (CLI, "user_add", "lead1", {"role": "director", "name": "", "team": None, "kam": None}),
        ]
    finally:
        store.close()


def test_the_v1_store_upgrades_with_the_access_tables_empty(tmp_path):
    import shutil

    source = Path(__file__).resolve().parents[2] / "data" / "stores" / "v1"
    shutil.copytree(source, tmp_path / "v1")
    store = Store(tmp_path / "v1" / "kam.duckdb")
    try:
        cur = store.cursor()
        assert cur.execute("select value from meta where key = 'schema_version'").fetchall() == [("6",)]
        assert [cur.execute(f"select count(*) from {t}").fetchall()[0][0]
                for t in ("accounts", "sign_in_failures", "sessions", "audit_log")] == [0, 0, 0, 0]  # fmt: skip
        assert len(store.uploads()) > 0
    finally:
        store.close()


def test_the_dashboards_upload_worker_audits_the_viewer_and_refuses_a_kam(store, tmp_path):
    from kam_metrics.ingest.worker import ingest_in_process

    path = csv(tmp_path, "roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}], "roster")
    with pytest.raises(Refused):
        ingest_in_process(store, path, viewer=KAM)
    ingest_in_process(store, path, viewer=BOSS)
    assert [e[:3] for e in entries(store)] == [("boss", "upload", "roster.csv")]
