"""CLI `rules show`, `rules set FILE.toml` and `report [--rules FILE]` over the rules kept in the store (SPEC §11)."""

from __future__ import annotations

import openpyxl
import pytest

from tests.kam_metrics.test_cli import LEADS_W45, LEADS_W46, csv_file, run

VERSIONS = """\
review_after_weeks = 5

[targets]
units = 0
batches = 0
numbers = 1

[[changes]]
effective_from = 2026-11-09
targets = { numbers = 2 }
fines = { numbers = 0.5 }
"""


@pytest.fixture
def db(tmp_path):
    """A store holding W45 and W46 leads (张三: one valid lead in W45; 李四: two in W46)."""
    path = tmp_path / "db" / "kam.duckdb"
    files = [csv_file(tmp_path / "in", "leads", rows, name) for rows, name in
             ((LEADS_W45, "报备_W45"), (LEADS_W46, "报备_W46"))]  # fmt: skip
    assert run("ingest", "--db", path, *files).returncode == 0
    return path


def weekly(path):
    rows = openpyxl.load_workbook(path)["weekly"].iter_rows(min_row=2, values_only=True)
    return [(r[0], r[1], r[5], r[8], r[9]) for r in rows]  # kam, week, numbers, numbers_short, fine


def test_rules_show_prints_the_defaults_when_nothing_is_stored(db):
    done = run("rules", "show", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('week_start = "monday"\nwarn_after_weeks = 2\n')
    assert "[[changes]]" not in done.stdout


def test_rules_set_then_show_round_trips_base_and_changes(db, tmp_path):
    source = tmp_path / "rules.toml"
    source.write_text(VERSIONS, encoding="utf-8")
    done = run("rules", "set", "--db", db, source)
    assert done.returncode == 0, done.stderr
    assert "1 change" in done.stdout
    shown = run("rules", "show", "--db", db).stdout
    assert "review_after_weeks = 5\n" in shown
    assert shown.endswith(
        "[[changes]]\neffective_from = 2026-11-09\ntargets = { numbers = 2 }\nfines = { numbers = 0.5 }\n"
    )
    again = tmp_path / "shown.toml"
    again.write_text(shown, encoding="utf-8")
    assert run("rules", "set", "--db", db, again).returncode == 0
    assert run("rules", "show", "--db", db).stdout == shown


def test_rules_set_refuses_a_bad_file_with_one_line_per_problem_and_stores_nothing(db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "colour = 1\n[[changes]]\neffective_from = 2026-11-09\nweek_start = 'sunday'\n"
        "[[changes]]\neffective_from = 2026-11-09\ntargets = { numbers = -1 }\n",
        encoding="utf-8",
    )
    before = run("rules", "show", "--db", db).stdout
    done = run("rules", "set", "--db", db, bad)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 3 and "Traceback" not in done.stderr
    assert "colour: unknown key" in lines[0]
    assert "[[changes]] 2026-11-09 (#2): effective_from: two changes take effect on this date" in lines[1]
    assert "[[changes]] 2026-11-09 (#1): week_start: not versionable" in lines[2]
    assert run("rules", "show", "--db", db).stdout == before


def test_report_uses_the_stored_rules_and_report_rules_overrides_them_for_one_run(db, tmp_path):
    stored = tmp_path / "rules.toml"
    stored.write_text(VERSIONS, encoding="utf-8")
    assert run("rules", "set", "--db", db, stored).returncode == 0
    out = tmp_path / "stored.xlsx"
    assert run("report", "--db", db, "--as-of", "2026-11-15", "--out", out).returncode == 0
    assert weekly(out) == [
        ("张三", "2026-W45", 1, 0, 0),  # base: target 1
        ("张三", "2026-W46", 0, 2, 1),  # the change from 11-09: target 2, fine 0.5 each
        ("李四", "2026-W46", 2, 0, 0),
    ]
    override = tmp_path / "override.toml"
    override.write_text("[targets]\nunits = 0\nbatches = 0\nnumbers = 1\n", encoding="utf-8")
    once = tmp_path / "override.xlsx"
    assert (
        run("report", "--db", db, "--rules", override, "--as-of", "2026-11-15", "--out", once).returncode == 0
    )
    assert [r[3] for r in weekly(once)] == [0, 1, 0]
    rules_sheet = list(openpyxl.load_workbook(once)["rules"].iter_rows(min_row=2, values_only=True))
    assert all(r[2] is None for r in rules_sheet)  # the file's base only
    assert run("rules", "show", "--db", db).stdout.endswith(
        "fines = { numbers = 0.5 }\n"
    )  # stored: unchanged
