"""CLI of SPEC §11 for §9: `close --month`, `reopen --month --reason`, `closes` — one line per problem, no traceback."""

from __future__ import annotations

import openpyxl
import pytest

from tests.kam_metrics.test_cli import csv_file, run


@pytest.fixture
def db(tmp_path):
    """A store with 张三's visit deal of 2026-09-12 and a lead in each of W37–W39; as_of 2026-09-30."""
    folder = tmp_path / "in"
    files = [
        csv_file(folder, "roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}]),
        csv_file(
            folder,
            "leads",
            [
                {"reported_at": f"2026-09-{d} 10:00", "kam": "张三", "phone": f"1380000000{i}"}
                for i, d in enumerate(("08", "15", "22"), start=1)
            ],
        ),
        csv_file(
            folder,
            "visits",
            [
                {
                    "visited_at": "2026-09-10 15:00",
                    "kam": "张三",
                    "phone": "13800000001",
                    "salesperson": "李销售",
                }
            ],
        ),  # fmt: skip
        csv_file(
            folder,
            "deals",
            [
                {
                    "signed_at": "2026-09-12",
                    "phone": "13800000001",
                    "property": "A-101",
                    "salesperson": "李销售",
                    "salesperson_commission": "4000",
                }
            ],
        ),  # fmt: skip
        csv_file(folder, "registrations", [{"registered_at": "2026-09-30 09:00", "phone": "13900000000"}]),
    ]
    path = tmp_path / "k.duckdb"
    done = run("ingest", "--db", path, *files)
    assert done.returncode == 0, done.stderr
    return path


def test_close_prints_what_it_froze_and_closes_lists_it(db):
    done = run("close", "--db", db, "--month", "2026-09")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (
        0,
        "2026-09 closed (close #1): 4 items frozen, 0 of them adjustments",
        "",
    )
    listed = run("closes", "--db", db).stdout.splitlines()
    assert listed[0].split("\t") == [
        "close", "month", "implicit", "closed at", "closed by", "as of", "items", "adjustments", "state",
    ]  # fmt: skip
    cells = listed[1].split("\t")
    assert cells[:3] + cells[4:] == ["1", "2026-09", "no", cells[4], "2026-09-30", "4", "0", "closed"]
    assert cells[4].startswith("cli:")


def test_a_refused_close_is_one_line_on_stderr_in_the_chosen_language_and_exits_non_zero(db):
    done = run("close", "--db", db, "--month", "2026-10", lang="zh")
    assert done.returncode == 1
    assert (
        done.stderr.strip() == "close 未完成：2026-10 尚不能月结：其最后一天 2026-10-31 晚于截至日 2026-09-30"
    )
    assert "Traceback" not in done.stderr
    done = run("close", "--db", db, "--month", "2026-10", "--as-of", "2026-09-29")
    assert (
        done.stderr.strip()
        == "close: 2026-10 cannot be closed yet: its last day 2026-10-31 is after as_of 2026-09-29"
    )


def test_close_as_of_and_rules_file_decide_what_is_frozen(db, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[targets]\nunits = 0\nbatches = 0\nnumbers = 2\n[fines]\nnumbers = 5\n", encoding="utf-8"
    )
    done = run("close", "--db", db, "--month", "2026-10", "--as-of", "2026-10-31")
    assert done.returncode == 1 and "close 2026-09 first" in done.stderr
    done = run("close", "--db", db, "--month", "2026-09", "--rules", rules, "--as-of", "2026-10-31")
    assert done.returncode == 0, done.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'blue'\n", encoding="utf-8")
    done = run("close", "--db", db, "--month", "2026-10", "--rules", bad, "--as-of", "2026-10-31")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "colour" in done.stderr


def test_reopen_needs_the_latest_closed_month_and_the_report_then_shows_computed_figures(db, tmp_path):
    assert run("close", "--db", db, "--month", "2026-09").returncode == 0
    done = run("reopen", "--db", db, "--month", "2026-08", "--reason", "typo")
    assert (done.returncode, done.stderr.strip()) == (1, "reopen: 2026-08 is not closed")
    done = run("reopen", "--db", db, "--month", "2026-09", "--reason", "late registry file")
    assert (done.returncode, done.stdout.strip()) == (0, "2026-09 reopened; no month is closed now")
    out = tmp_path / "r.xlsx"
    assert run("report", "--db", db, "--out", out).returncode == 0
    statement = list(openpyxl.load_workbook(out)["statement"].iter_rows(values_only=True))
    assert statement == [
        ("kam", "month", "commission", "clawback", "fines", "adjustments", "net", "closed"),
        ("张三", "2026-09", 2000, 0, 1667, 0, 333, False),  # default rules: three weeks of 560 less 1 each
    ]
    assert "reopened" in run("closes", "--db", db).stdout
