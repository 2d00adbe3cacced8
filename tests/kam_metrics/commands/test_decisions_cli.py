"""The decisions commands of SPEC §11, run as a real subprocess: adjudicate lead|visit|unit|deal, adjudicate
remove, adjudications, dispute file|withdraw|accept|reject|list, and the adjudications sheet they lead to."""

from __future__ import annotations

import getpass
from pathlib import Path

import openpyxl
import pytest

from kam_metrics.contract.sheets import KINDS
from tests.helpers import deal_row, write_csv
from tests.kam_metrics.test_cli import run

P = "13800000001"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store holding two leads of one phone, a visit without a handover, a unit without a photo and a deal."""
    folder = tmp_path / "in"
    folder.mkdir()
    files = [
        write_csv(folder / f"{KINDS['leads'].aliases[0]}.csv", "leads",
                  [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                   {"reported_at": "2026-11-03", "kam": "李四", "phone": P}]),
        write_csv(folder / f"{KINDS['visits'].aliases[0]}.csv", "visits",
                  [{"visited_at": "2026-11-04 15:00", "kam": "李四", "phone": P}]),
        write_csv(folder / f"{KINDS['units'].aliases[0]}.csv", "units",
                  [{"date": "2026-11-02", "kam": "张三", "unit_name": "华为"}]),
        write_csv(folder / f"{KINDS['deals'].aliases[0]}.csv", "deals",
                  [deal_row(P, "2026-11-06", "1-101")]),
    ]  # fmt: skip
    path = tmp_path / "kam.duckdb"
    done = run("ingest", "--db", path, *files)
    assert done.returncode == 0, done.stderr
    return path


def sheet(path: Path, name: str) -> list[tuple]:
    return [tuple(c.value for c in row) for row in openpyxl.load_workbook(path)[name].iter_rows()]


def test_a_director_adjudicates_a_lead_a_visit_a_unit_and_a_deal_and_the_workbook_shows_them(db, tmp_path):
    by = "cli:" + getpass.getuser()
    steps = [
        ("adjudicate", "lead", "--kam", "李四", "--phone", P, "--at", "2026-11-03", "--status", "valid",
         "--reason", "纸质报备单"),
        ("adjudicate", "visit", "--kam", "李四", "--phone", P, "--at", "2026-11-04 15:00:00", "--status", "valid",
         "--reason", "置业顾问已确认"),
        ("adjudicate", "unit", "--kam", "张三", "--date", "2026-11-02", "--unit", "华为", "--status", "valid",
         "--reason", "照片已补"),
        ("adjudicate", "deal", "--phone", P, "--property", "1-101", "--signed", "2026-11-06", "--type", "lead_deal",
         "--kam", "张三", "--reason", "客户指定"),
    ]  # fmt: skip
    for i, step in enumerate(steps, start=1):
        done = run(*step[:2], "--db", db, *step[2:])
        assert (done.returncode, done.stdout.strip(), done.stderr) == (0, f"adjudication #{i} stored", "")
    out = tmp_path / "en.xlsx"
    assert run("report", "--db", db, "--lang", "en", "--out", out).returncode == 0
    rows = sheet(out, "adjudications")
    assert rows[0] == ("id", "kind", "ref", "verdict", "kam", "reason", "decided_by", "decided_at", "dispute",
                       "orphaned")  # fmt: skip
    assert [r[:7] + r[8:] for r in rows[1:]] == [
        (1, "lead", f"李四 {P} 2026-11-03", "valid", "李四", "纸质报备单", by, None, False),
        (2, "visit", f"李四 {P} 2026-11-04 15:00:00", "valid", "李四", "置业顾问已确认", by, None, False),
        (3, "unit", "张三 2026-11-02 华为", "valid", "张三", "照片已补", by, None, False),
        (4, "deal", f"1-101 {P} 2026-11-06", "lead_deal", "张三", "客户指定", by, None, False),
    ]
    assert [r[4:] for r in sheet(out, "leads")] == [("status", "adjudication"), ("valid", None), ("valid", 1)]
    assert [r[5:] for r in sheet(out, "visits")] == [("status", "adjudication"), ("valid", 2)]
    assert [r[3:] for r in sheet(out, "units")] == [("status", "adjudication"), ("valid", 3)]
    assert [(r[0], r[6], r[8], r[-1]) for r in sheet(out, "commissions")] == [
        ("kam", "type", "kam_commission", "adjudication"), ("张三", "lead_deal", 200, 4)]  # fmt: skip
    zh = tmp_path / "zh.xlsx"
    assert run("report", "--db", db, "--out", zh, lang="zh").returncode == 0
    assert [r[1:5] for r in sheet(zh, "裁定记录")[1:3]] == [
        ("报备", f"李四 {P} 2026-11-03", "有效", "李四"),
        ("带访", f"李四 {P} 2026-11-04 15:00:00", "有效", "李四"),
    ]
    listed = run("adjudications", "--db", db)
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 5


def test_remove_restores_the_engine_verdict_and_a_second_remove_is_one_line_on_stderr(db):
    run("adjudicate", "lead", "--db", db, "--kam", "李四", "--phone", P, "--at", "2026-11-03", "--status",
        "valid", "--reason", "x")  # fmt: skip
    done = run("adjudicate", "remove", "--db", db, "1", "--reason", "录入错误")
    assert (done.returncode, done.stdout.strip()) == (
        0,
        "adjudication #1 removed: the row takes the engine's verdict again",
    )
    again = run("adjudicate", "remove", "--db", db, "1")
    assert (again.returncode, again.stderr) == (2, "adjudicate: adjudication #1 was already removed\n")
    assert run("adjudications", "--db", db).stdout.strip() == "none"


def test_a_row_not_stored_is_accepted_with_a_warning_and_a_bad_value_is_refused_without_a_traceback(db):
    done = run("adjudicate", "lead", "--db", db, "--kam", "王五", "--phone", P, "--at", "2026-11-05 09:00:00",
               "--status", "valid", "--reason", "纸质单，文件未到")  # fmt: skip
    assert done.returncode == 0
    assert done.stderr.strip() == (
        "warning: no such row is stored; the adjudication takes effect once the row is uploaded"
    )
    for args, message in [
        (("lead", "--kam", "张三", "--phone", "12345", "--at", "2026-11-02", "--status", "valid", "--reason", "x"),
         "adjudicate: the phone (--phone) cannot be read: 12345"),
        (("lead", "--kam", "张三", "--phone", P, "--at", "2026-11-02", "--status", "no_photo", "--reason", "x"),
         "adjudicate: no_photo is not a verdict for a lead: use one of registry_overlap, duplicate_own, "
         "owned_by_other, valid"),
        (("deal", "--phone", P, "--property", "1-101", "--signed", "2026-11-06", "--type", "unattributed",
          "--kam", "张三", "--reason", "x"), "adjudicate: an unattributed deal has no KAM: leave out --kam"),
    ]:  # fmt: skip
        bad = run("adjudicate", args[0], "--db", db, *args[1:])
        assert (bad.returncode, bad.stderr.strip()) == (2, message)
    zh = run("adjudicate", "deal", "--db", db, "--phone", P, "--property", "1-101", "--signed", "2026-11-06",
             "--type", "lead_deal", "--reason", "x", lang="zh")  # fmt: skip
    assert (zh.returncode, zh.stderr.strip()) == (
        2,
        "adjudicate 未完成：lead_deal 的成交需要指定大客户经理（--kam）",
    )


def test_dispute_file_accept_reject_withdraw_and_list_follow_the_states(db):
    filed = run("dispute", "file", "lead", "--db", db, "--kam", "李四", "--phone", P, "--at", "2026-11-03",
                "--status", "valid", "--note", "我有报备截图")  # fmt: skip
    assert (filed.returncode, filed.stdout.strip()) == (0, "dispute #1 filed")
    run("dispute", "file", "unit", "--db", db, "--kam", "张三", "--date", "2026-11-02", "--unit", "华为",
        "--status", "valid")  # fmt: skip
    run("dispute", "file", "deal", "--db", db, "--phone", P, "--property", "1-101", "--signed", "2026-11-06",
        "--type", "visit_deal", "--kam", "李四")  # fmt: skip
    listed = run("dispute", "list", "--db", db, "--state", "open")
    assert [line.split()[0] for line in listed.stdout.strip().splitlines()[1:]] == ["1", "2", "3"]
    accepted = run("dispute", "accept", "--db", db, "1", "--reason", "截图为证")
    assert (accepted.returncode, accepted.stdout.strip()) == (
        0,
        "dispute #1 accepted: adjudication #1 stored",
    )
    rejected = run("dispute", "reject", "--db", db, "2", "--reason", "照片不清")
    assert (rejected.returncode, rejected.stdout.strip()) == (0, "dispute #2 rejected")
    withdrawn = run("dispute", "withdraw", "--db", db, "3")
    assert (withdrawn.returncode, withdrawn.stdout.strip()) == (0, "dispute #3 withdrawn")
    again = run("dispute", "accept", "--db", db, "2", "--reason", "x")
    assert (again.returncode, again.stderr) == (
        2,
        "dispute: dispute #2 is rejected: only an open dispute can be accepted\n",
    )
    assert run("dispute", "list", "--db", db, "--state", "open").stdout.strip() == "none"
    states = run("dispute", "list", "--db", db).stdout
    assert [line.split()[0] for line in states.strip().splitlines()[1:]] == ["1", "2", "3"]
    assert all(word in states for word in ("accepted", "rejected", "withdrawn"))
    assert "Traceback" not in again.stderr
