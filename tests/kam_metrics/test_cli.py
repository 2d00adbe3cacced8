"""The command line, run as a real subprocess: sample, template, ingest, report, uploads, undo, rebuild."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kam_metrics.contract.sheets import KINDS, SHEET_KINDS
from kam_metrics.ingest.store import Store
from tests.helpers import SPEC_SHEETS, run_cli, write_csv

REPORT_SHEETS = list(SPEC_SHEETS)  # SPEC §7, in order


def run(*args: object, lang: str = "en") -> subprocess.CompletedProcess:
    """python -m kam_metrics --lang <lang> ARGS from the repository root."""
    return run_cli(*args, lang=lang)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cell_values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def csv_file(folder: Path, kind: str, rows: list[dict], name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / f"{name or KINDS[kind].aliases[0]}.csv", kind, rows)


LEADS_W45 = [
    {"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": "13800000001"},
    {"reported_at": "2026-11-03 10:00", "kam": "张三", "phone": "12345"},  # rejected: not a mobile
]
LEADS_W46 = [
    {"reported_at": "2026-11-09 10:00", "kam": "李四", "phone": "13800000002"},
    {"reported_at": "2026-11-12 10:00", "kam": "李四", "phone": "13800000003"},
]


@pytest.fixture(scope="module")
def two_uploads(tmp_path_factory):
    """A store holding two small lead files (upload 1: W45 with one rejected row, upload 2: W46); read-only."""
    tmp_path = tmp_path_factory.mktemp("two_uploads")
    db = tmp_path / "db" / "kam.duckdb"
    first = csv_file(tmp_path / "in", "leads", LEADS_W45, "报备_W45")
    second = csv_file(tmp_path / "in", "leads", LEADS_W46, "报备_W46")
    done = run("ingest", "--db", db, first, second)
    assert done.returncode == 0, done.stderr
    return db, first, second


@pytest.fixture
def own_two_uploads(two_uploads, tmp_path):
    """A private copy of the two-upload store (database and kept files) for a test that changes it."""
    db, first, second = two_uploads
    shutil.copytree(db.parent, tmp_path / "db")
    return tmp_path / "db" / db.name, first, second


# --- the sample, built once for the module --------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("sample")
    done = run("sample", "--out", out)
    assert done.returncode == 0, done.stderr
    return sorted(out.iterdir())


@pytest.fixture(scope="module")
def sample_store(sample, tmp_path_factory):
    """(db path, ingest output) of the sample ingested once."""
    db = tmp_path_factory.mktemp("sample_db") / "kam.duckdb"
    done = run("ingest", "--db", db, *sample)
    assert done.returncode == 0, done.stderr
    return db, done


@pytest.fixture(scope="module")
def sample_report(sample_store, tmp_path_factory) -> Path:
    db, _ = sample_store
    out = tmp_path_factory.mktemp("sample_report") / "r.xlsx"
    done = run("report", "--db", db, "--lang", "en", "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def test_sample_writes_the_demo_workbooks_the_same_bytes_on_every_run(sample, tmp_path):
    done = run("sample", "--out", tmp_path)
    assert done.returncode == 0
    again = sorted(tmp_path.iterdir())
    assert len(sample) == 12
    assert [p.name for p in again] == [p.name for p in sample]
    assert [sha(p) for p in again] == [sha(p) for p in sample]
    assert str(tmp_path) in done.stdout


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_writes_the_blank_upload_workbook(tmp_path, lang):
    out = tmp_path / "F.xlsx"
    done = run("template", "--out", out, lang=lang)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[: len(SHEET_KINDS)] == [k.aliases[0] for k in SHEET_KINDS]


def test_ingest_prints_per_file_and_sheet_the_kind_and_counts_and_succeeds_despite_rejected_rows(tmp_path):
    leads = csv_file(tmp_path / "in", "leads", LEADS_W45)
    roster = csv_file(tmp_path / "in", "roster", [{"kam": "张三", "team": "一组"}])
    done = run("ingest", "--db", tmp_path / "kam.duckdb", leads, roster)
    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        f"new store created at {tmp_path / 'kam.duckdb'}",
        "报备.csv: data date 2026-11-02",
        "报备.csv · 报备 → leads: read 2, accepted 1 (duplicates 0, superseded 0), rejected 1, warnings 0",
        # roster dates do not count: the upload takes the data date of the uploads before it (SPEC §2)
        "大客户经理名单.csv: data date 2026-11-02",
        "大客户经理名单.csv · 大客户经理名单 → roster: read 1, accepted 1 (duplicates 0, superseded 0), rejected 0, warnings 0",
    ]


def test_ingest_of_the_sample_prints_a_line_for_every_sheet_of_every_file(sample, sample_store):
    _, done = sample_store
    lines = done.stdout.splitlines()
    for path in sample:
        kinds = [line.split(" → ")[1].split(":")[0] for line in lines if line.startswith(f"{path.name} · ")]
        assert sorted(kinds) == sorted(k.name for k in SHEET_KINDS), path.name
    assert any("rejected 0" not in line for line in lines)  # the sample has rejected rows; still exit 0


def _pdf(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def _png(path: Path) -> None:
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    )


def _docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")


def _fake_xlsx(path: Path) -> None:
    path.write_bytes(b"this is not really a workbook\n")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("scan.pdf", _pdf),
        ("photo.png", _png),
        ("letter.docx", _docx),
        ("fake.xlsx", _fake_xlsx),
    ],
)
def test_ingest_refuses_a_non_spreadsheet_file_with_one_line_and_stores_the_other_files(tmp_path, name, make):
    db = tmp_path / "kam.duckdb"
    before = csv_file(tmp_path / "in", "leads", LEADS_W45[:1], "before")
    bad = tmp_path / "in" / name
    make(bad)
    after = csv_file(tmp_path / "in", "leads", LEADS_W46, "after")
    done = run("ingest", "--db", db, before, bad, after)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert name in done.stderr
    store = Store(db)
    try:
        assert sorted(store.uploads()["file_name"]) == ["after.csv", "before.csv"]
        assert store.counts()["leads"] == 3
    finally:
        store.close()


def test_report_writes_exactly_the_sheets_of_the_contract(sample_report):
    wb = openpyxl.load_workbook(sample_report)
    assert wb.sheetnames == REPORT_SHEETS
    assert [c.value for c in wb["summary"][1]] == [
        "kam",
        "team",
        "weeks_assessed",
        "weeks_met",
        "fines_total",
        "commission_total",
        "clawback_total",
        "adjustments_total",
        "net_total",
        "missed_streak",
        "flag",
    ]
    assert wb["summary"].max_row >= 9  # at least eight KAMs


def test_report_in_chinese_by_default(two_uploads, tmp_path):
    db, *_ = two_uploads
    out = tmp_path / "r_zh.xlsx"
    done = run("report", "--db", db, "--out", out, lang="zh")
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(out).sheetnames[0] == "汇总"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[targets]\nunits = -1\n", "targets.units"),
        ("colour = 'blue'\n", "colour"),
        ("warn_after_weeks = 'two'\n", "warn_after_weeks"),
        ("[commission]\nvisit_share = 2\n", "commission.visit_share"),
        ("week_start = 'someday'\n", "week_start"),
    ],
)
def test_report_with_a_bad_rules_file_names_the_key_and_fails(two_uploads, tmp_path, toml, key):
    db, *_ = two_uploads
    rules = tmp_path / "bad.toml"
    rules.write_text(toml, encoding="utf-8")
    out = tmp_path / "r.xlsx"
    done = run("report", "--db", db, "--rules", rules, "--out", out)
    assert done.returncode != 0
    assert key in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert not out.exists()


def test_report_applies_a_good_rules_file(two_uploads, tmp_path):
    db, *_ = two_uploads
    rules = tmp_path / "rules.toml"
    rules.write_text("[targets]\nunits = 0\nbatches = 0\nnumbers = 1\n", encoding="utf-8")
    out = tmp_path / "r.xlsx"
    assert run("report", "--db", db, "--rules", rules, "--as-of", "2026-11-15", "--out", out).returncode == 0
    weekly = list(openpyxl.load_workbook(out)["weekly"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[9], r[10]) for r in weekly] == [
        ("张三", "2026-W45", 0, True),
        ("张三", "2026-W46", 1, False),
        ("李四", "2026-W46", 0, True),
    ]


@pytest.mark.parametrize(
    ("as_of", "weeks"),
    [
        (None, [("张三", "2026-W45", False), ("张三", "2026-W46", True), ("李四", "2026-W46", True)]),
        ("2026-11-08", [("张三", "2026-W45", False)]),
        ("2026-11-05", [("张三", "2026-W45", True)]),
        (
            "2026-11-15",
            [("张三", "2026-W45", False), ("张三", "2026-W46", False), ("李四", "2026-W46", False)],
        ),
    ],
)
def test_report_honours_as_of(two_uploads, tmp_path, as_of, weeks):
    db, *_ = two_uploads
    out = tmp_path / "r.xlsx"
    args = ["report", "--db", db, "--out", out] + (["--as-of", as_of] if as_of else [])
    done = run(*args)
    assert done.returncode == 0, done.stderr
    rows = openpyxl.load_workbook(out)["weekly"].iter_rows(min_row=2, values_only=True)
    assert [(r[0], r[1], r[13]) for r in rows] == weeks


def test_report_refuses_an_as_of_that_is_not_a_date(two_uploads, tmp_path):
    db, *_ = two_uploads
    done = run("report", "--db", db, "--as-of", "11/08/2026", "--out", tmp_path / "r.xlsx")
    assert done.returncode != 0
    assert "11/08/2026" in done.stderr
    assert "Traceback" not in done.stderr


def test_uploads_lists_the_ledger_newest_first(two_uploads):
    db, *_ = two_uploads
    done = run("uploads", "--db", db)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert "upload_id" in lines[0] and "file_name" in lines[0]
    assert [line.split()[:2] for line in lines[1:]] == [["2", "报备_W46.csv"], ["1", "报备_W45.csv"]]


def test_undo_removes_one_upload_as_if_it_never_happened(own_two_uploads, tmp_path):
    db, first, second = own_two_uploads
    done = run("undo", "--db", db, 1)
    assert done.returncode == 0, done.stderr
    ledger = run("uploads", "--db", db).stdout.splitlines()
    assert [line.split()[:2] for line in ledger[1:]] == [["2", "报备_W46.csv"]]
    undone = tmp_path / "undone.xlsx"
    assert run("report", "--db", db, "--out", undone).returncode == 0

    only_second = tmp_path / "only_second" / "kam.duckdb"
    assert run("ingest", "--db", only_second, second).returncode == 0
    fresh = tmp_path / "fresh.xlsx"
    assert run("report", "--db", only_second, "--out", fresh).returncode == 0
    undone_values, fresh_values = cell_values(undone), cell_values(fresh)
    assert undone_values == fresh_values
    assert [r[0] for r in undone_values["leads"][1:]] == ["李四", "李四"]


def test_rebuild_gives_an_identical_report(own_two_uploads, tmp_path):
    db, *_ = own_two_uploads
    before, after = tmp_path / "before.xlsx", tmp_path / "after.xlsx"
    assert run("report", "--db", db, "--out", before).returncode == 0
    done = run("rebuild", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "2" in done.stdout
    assert run("report", "--db", db, "--out", after).returncode == 0
    assert cell_values(after) == cell_values(before)


def test_ingesting_the_sample_twice_gives_the_same_report_as_once(
    sample, sample_store, sample_report, tmp_path
):
    db, _ = sample_store
    copy = tmp_path / "copy"
    shutil.copytree(db.parent, copy)
    done = run("ingest", "--db", copy / db.name, *sample)
    assert done.returncode == 0, done.stderr
    twice = tmp_path / "twice.xlsx"
    assert run("report", "--db", copy / db.name, "--lang", "en", "--out", twice).returncode == 0
    assert cell_values(twice) == cell_values(sample_report)
