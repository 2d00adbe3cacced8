"""Reliability under real conditions: an ingest killed midway, eight users at once on one shared Store, undo and
rebuild from the command line, and workbooks that never turn text into formulas (SPEC §2, §7; docs/reliability.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_metrics.access.roles import LOCAL
from kam_metrics.contract.sheets import KINDS
from kam_metrics.demo.sample import write_sample
from kam_metrics.engine import report
from kam_metrics.export import workbook as export
from kam_metrics.export.template import write_template
from kam_metrics.ingest.migrations import SCHEMA_VERSION
from kam_metrics.ingest.normalize import clean_name, clean_text
from kam_metrics.ingest.store import Store
from kam_metrics.present import PAGES, upload

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = sorted((ROOT / "data" / "sample").glob("*.xlsx"))
DATA_TABLES = [k.name for k in KINDS.values()]


def _make_db_folder(args: tuple) -> None:
    """A store is created only in an existing folder (the CLI refuses a typo'd one): make the test's folder."""
    if "--db" in args:
        Path(args[list(args).index("--db") + 1]).parent.mkdir(parents=True, exist_ok=True)


def run_cli(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    _make_db_folder(args)
    return subprocess.run(
        [sys.executable, "-m", "kam_metrics", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def frames(results: report.Results) -> dict[str, pd.DataFrame]:
    """Every result table, in a form that compares exactly."""
    return {
        name: getattr(results, name).reset_index(drop=True)
        for name in (
            "summary",
            "weekly",
            "statement",
            "commissions",
            "leads",
            "visits",
            "units",
            "claims",
            "registrations",
            "rejected",
            "warnings",
            "kams",
        )
    }


def assert_same_results(a: report.Results, b: report.Results) -> None:
    assert a.as_of == b.as_of
    fa, fb = frames(a), frames(b)
    for name in fa:
        pd.testing.assert_frame_equal(fa[name], fb[name], obj=name)


def workbook_values(path_or_bytes) -> dict[str, list[tuple]]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    wb = openpyxl.load_workbook(source)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def consistent(store: Store) -> None:
    """The ledger's per-upload counts match the stored rows, and the ledger's live uploads are exactly the uploads."""
    cur = store.cursor()
    per_upload = dict(
        cur.execute(
            "select upload_id, sum(accepted - duplicates) from upload_sheets group by upload_id"
        ).fetchall()
    )
    stored = {}
    for table in DATA_TABLES:
        for uid, n in cur.execute(f"select upload_id, count(*) from {table} group by upload_id").fetchall():
            stored[uid] = stored.get(uid, 0) + n
    assert {k: v for k, v in per_upload.items() if v} == stored
    ids = sorted(cur.execute("select upload_id from uploads").fetchall())
    # a repeat (§2) is an upload of its own that stores no sheet
    originals = sorted(cur.execute("select upload_id from uploads where repeat_of is null").fetchall())
    assert sorted(per_upload) == [i for (i,) in originals]
    assert list(store.ledger.live()) == [i for (i,) in ids]


# -- 1. an ingest killed midway ------------------------------------------------------------------------


def _big_leads_csv(path: Path, n: int = 300_000) -> Path:
    base = dt.datetime(2026, 3, 2, 9, 0)
    lines = ["报备时间,大客户经理,客户姓名,手机号"]
    lines += [
        f"{base + dt.timedelta(seconds=7 * i):%Y-%m-%d %H:%M:%S},王伟{i % 50},客户{i % 997},1{3 + i % 7}{i:09d}"
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sizes(db: Path) -> tuple[int, int]:
    wal = db.with_name(db.name + ".wal")
    return (db.stat().st_size if db.exists() else 0, wal.stat().st_size if wal.exists() else 0)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_killed_ingest_leaves_the_store_unchanged_or_whole(tmp_path):
    """SIGKILL a real `python -m kam_metrics ingest` at several points (while it opens the store, as soon as
    the database file starts to grow, a little later, at fixed delays). Each time the store opens cleanly,
    holds either nothing of the upload or all of it, its ledger adds up, and a new upload works."""
    big = _big_leads_csv(tmp_path / "报备.csv")
    baseline = tmp_path / "baseline"
    store = Store(baseline / "kam.duckdb")
    store.ingest(SAMPLE[0])
    before = store.counts()
    store.close()
    whole = dict(before, leads=before["leads"] + 300_000, uploads=before["uploads"] + 1)

    def wal_appears(db, start, t0):
        return _sizes(db)[1] > 0

    def db_grows(db, start, t0):
        return _sizes(db)[0] > start[0]

    def db_grows_plus(delay):
        state = {}

        def when(db, start, t0):
            if "at" not in state and _sizes(db)[0] > start[0]:
                state["at"] = time.monotonic()
            return "at" in state and time.monotonic() - state["at"] >= delay

        return when

    def after(seconds):
        return lambda db, start, t0: time.monotonic() - t0 >= seconds

    kill_points = {
        "wal appears": wal_appears,
        "db grows": db_grows,
        "db grows + 30 ms": db_grows_plus(0.03),
        "db grows + 120 ms": db_grows_plus(0.12),
        "after 1.5 s": after(1.5),
        "after 3 s": after(3.0),
    }
    outcomes = {}
    for label, when in kill_points.items():
        folder = tmp_path / label.replace(" ", "_").replace("+", "plus")
        shutil.copytree(baseline, folder)
        db = folder / "kam.duckdb"
        start = _sizes(db)
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kam_metrics", "ingest", "--db", str(db), str(big)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while proc.poll() is None and not when(db, start, t0):
            time.sleep(0.001)
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        store = Store(db)
        try:
            counts = store.counts()
            assert counts in (before, whole), (label, counts)
            outcomes[label] = ("killed " if killed else "finished ") + (
                "unchanged" if counts == before else "whole"
            )
            consistent(store)
            # No leftovers once it is open again: no .part file, no temp folder content, no orphan copy.
            kept = {f"{files_sha(SAMPLE[0])}.xlsx"} | (
                {f"{files_sha(big)}.csv"} if counts == whole else set()
            )
            listing = {p.name for p in store.uploads_dir.iterdir()} - {".tmp", "ledger.jsonl"}
            assert listing == kept, (label, listing)
            assert not (store.uploads_dir / ".tmp").exists() or not list(
                (store.uploads_dir / ".tmp").iterdir()
            )
            more = store.ingest(SAMPLE[1])
            assert sum(c.accepted for c in more.sheets) > 0
            consistent(store)
            assert not report.compute(store).summary.empty
        finally:
            store.close()
    assert any(o == "killed unchanged" for o in outcomes.values()), outcomes
    print(outcomes)


# -- 2. eight users at once on the app's code path ----------------------------------------------------------


def _views_work(store: Store, res: report.Results) -> None:
    """What a page run does with the shared Store and Results."""
    PAGES["overview"](res, LOCAL, "zh")
    PAGES["weekly"](res, LOCAL, "zh")
    PAGES["commissions"](res, LOCAL, "en")
    upload.view(res, LOCAL, "zh", uploads=store.uploads())
    store.version()
    store.counts()


def test_eight_threads_on_one_shared_store_lose_and_double_nothing(tmp_path):
    """One Store object as st.cache_resource holds it; each of 8 threads uploads its own weekly files and
    computes results and page views in between. Afterwards the store equals a sequential run in the same
    upload order, row for row."""
    store = Store(tmp_path / "shared" / "kam.duckdb")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def user(i: int) -> None:
        try:
            start.wait()
            for path in SAMPLE[i::8]:
                result = store.ingest(path)
                assert all(c.accepted + c.rejected == c.read for c in result.sheets)
                _views_work(store, report.compute(store))
            _views_work(store, report.compute(store))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    assert not errors, errors
    assert not any(th.is_alive() for th in threads)
    uploads = store.uploads().sort_values("upload_id")
    assert list(uploads["upload_id"]) == list(range(1, len(SAMPLE) + 1))
    assert sorted(uploads["file_name"]) == sorted(p.name for p in SAMPLE)
    consistent(store)

    sequential = Store(tmp_path / "sequential" / "kam.duckdb")
    by_name = {p.name: p for p in SAMPLE}
    for name in uploads["file_name"]:
        sequential.ingest(by_name[name])
    assert store.counts() == sequential.counts()
    assert_same_results(report.compute(store), report.compute(sequential))
    for a, b in zip(
        store.uploads().itertuples(), sequential.uploads().itertuples(), strict=True
    ):  # same per-upload counts
        assert (a.file_name, a.rows_read, a.accepted, a.duplicates, a.rejected) == (
            b.file_name,
            b.rows_read,
            b.accepted,
            b.duplicates,
            b.rejected,
        )
    store.close()
    sequential.close()


def test_the_same_file_uploaded_by_eight_users_at_once_is_stored_once(tmp_path):
    store = Store(tmp_path / "kam.duckdb")
    errors: list[BaseException] = []
    start = threading.Barrier(8)
    results = []

    def user() -> None:
        try:
            start.wait()
            results.append(store.ingest(SAMPLE[0]))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=user) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not errors, errors
    once = Store(tmp_path / "once" / "kam.duckdb")
    once.ingest(SAMPLE[0])
    assert {k: v for k, v in store.counts().items() if k != "uploads"} == {
        k: v for k, v in once.counts().items() if k != "uploads"
    }
    assert store.counts()["uploads"] == 8
    fresh = [r for r in results if any(c.duplicates < c.accepted for c in r.sheets)]
    assert len(fresh) == 1  # the first one stored the rows, the other seven found them all stored
    assert [p.name for p in store.uploads_dir.iterdir() if p.suffix != ".jsonl"] == [
        p.name for p in once.uploads_dir.iterdir() if p.suffix != ".jsonl"
    ]
    consistent(store)
    assert_same_results(report.compute(store), report.compute(once))
    store.close()
    once.close()


# -- 3. undo and rebuild from the command line ------------------------------------------------------------


def _cli_report(db: Path, out: Path) -> dict[str, list[tuple]]:
    done = run_cli("--lang", "en", "report", "--db", db, "--out", out)
    assert done.returncode == 0, done.stderr
    return workbook_values(out)


def test_cli_undo_removes_exactly_that_upload(tmp_path):
    files = SAMPLE[:3]
    db = tmp_path / "all" / "kam.duckdb"
    assert run_cli("ingest", "--db", db, *files).returncode == 0
    done = run_cli("undo", "--db", db, 2)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    without = tmp_path / "without" / "kam.duckdb"
    assert run_cli("ingest", "--db", without, files[0], files[2]).returncode == 0
    assert _cli_report(db, tmp_path / "undone.xlsx") == _cli_report(without, tmp_path / "without.xlsx")
    a, b = Store(db), Store(without)
    assert a.counts() == b.counts()
    assert list(a.uploads()["upload_id"]) == [3, 1]
    assert list(a.uploads()["file_name"]) == list(b.uploads()["file_name"])
    consistent(a)
    a.close()
    b.close()


def test_cli_undo_of_an_unknown_upload_is_one_line_and_changes_nothing(tmp_path):
    db = tmp_path / "kam.duckdb"
    assert run_cli("ingest", "--db", db, SAMPLE[0]).returncode == 0
    before = _cli_report(db, tmp_path / "before.xlsx")
    done = run_cli("--lang", "en", "undo", "--db", db, 7)
    assert done.returncode == 2
    assert done.stderr == "undo: no upload 7\n"
    assert run_cli("undo", "--db", db, 7).stderr == "undo 未完成：no upload 7\n"
    assert _cli_report(db, tmp_path / "after.xlsx") == before


def test_cli_rebuild_gives_an_identical_report_also_after_the_store_file_is_deleted(tmp_path):
    folder = tmp_path / "data"
    db = folder / "kam.duckdb"
    assert run_cli("ingest", "--db", db, *SAMPLE[:4]).returncode == 0
    assert run_cli("undo", "--db", db, 2).returncode == 0
    original = _cli_report(db, tmp_path / "original.xlsx")
    store = Store(db)
    ledger_before = store.uploads()
    store.close()

    done = run_cli("--lang", "en", "rebuild", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "store rebuilt from 3 kept files"
    assert _cli_report(db, tmp_path / "rebuilt.xlsx") == original

    for p in folder.glob("kam.duckdb*"):
        p.unlink()
    assert sorted(p.name for p in folder.iterdir()) == ["uploads"]
    done = run_cli("--lang", "en", "rebuild", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "store rebuilt from 3 kept files"
    assert _cli_report(db, tmp_path / "recreated.xlsx") == original
    store = Store(db)
    pd.testing.assert_frame_equal(store.uploads(), ledger_before)
    consistent(store)
    store.close()


def test_cli_rebuild_with_a_kept_file_missing_refuses_in_one_line_and_changes_nothing(tmp_path):
    folder = tmp_path / "data"
    db = folder / "kam.duckdb"
    assert run_cli("ingest", "--db", db, *SAMPLE[:2]).returncode == 0
    original = _cli_report(db, tmp_path / "original.xlsx")
    kept = sorted((folder / "uploads").glob("*.xlsx"))
    kept[0].unlink()
    done = run_cli("--lang", "en", "rebuild", "--db", db)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("rebuild: cannot rebuild: kept files are missing: ")
    assert _cli_report(db, tmp_path / "after.xlsx") == original


# -- 4. export safety ---------------------------------------------------------------------------------------

DANGEROUS = ["=1+1", "+86 138", "-王伟", "@SUM(A1)", "\t=cmd|' /C calc'!A0", "\r+1", '=HYPERLINK("x")', "-"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _assert_no_formula(values: bytes | Path) -> int:
    """Every cell of every sheet that holds text is a text cell; returns how many start like a formula."""
    source = io.BytesIO(values) if isinstance(values, bytes) else values
    wb = openpyxl.load_workbook(source)
    risky = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    assert cell.data_type == "s"
                    risky += 1
    return risky


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write(r, c, value)
    wb.close()
    return path


def _every_text_column_workbook(path: Path, text: dict[str, str], bad_source: str | None = None) -> Path:
    """One row per sheet kind, every text column filled from ``text``; plus a rejected registration."""
    k, n, s = text["kam"], text["customer_name"], text["salesperson"]
    phone, other = "13800000001", "13900000002"
    sheets = {
        "大客户经理名单": [["大客户经理", "团队", "入职日期"], [k, text["team"], "2026-03-02"]],
        "客户登记": [
            ["登记时间", "客户姓名", "手机号", "置业顾问", "来源"],
            ["2026-03-04 10:00", text["registration_name"], other, s, text["source"]],
            ["2026-03-04 11:00", n, None, s, bad_source if bad_source is not None else text["source"]],
        ],
        "拓展单位": [
            ["拓展日期", "大客户经理", "单位名称", "照片", "联系人"],
            ["2026-03-02", k, text["unit_name"], text["photo"], text["contact"]],
        ],
        "报备": [["报备时间", "大客户经理", "客户姓名", "手机号"], ["2026-03-02 09:00", k, n, phone]],
        "带访": [
            ["到访时间", "大客户经理", "客户姓名", "手机号", "人数", "接待置业顾问"],
            ["2026-03-03 10:00", k, n, phone, 2, s],
        ],
        "成交": [
            ["成交日期", "客户姓名", "手机号", "房号", "成交金额", "置业顾问", "置业顾问佣金"],
            ["2026-03-05", n, phone, text["property"], 1000000, s, 4000],
        ],
    }
    return _xlsx(path, sheets)


def _exported(results: report.Results, lang: str = "en") -> dict[str, list[dict]]:
    buffer = io.BytesIO()
    export.write_workbook(results, buffer, lang)
    data = buffer.getvalue()
    _assert_no_formula(data)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for sheet, columns in export.SHEETS.items():
        ws = wb.worksheets[list(export.SHEETS).index(sheet)]
        rows = list(ws.iter_rows(min_row=2))
        out[sheet] = [
            {c: (cell.value, cell.data_type) for (c, _), cell in zip(columns, row, strict=False)}
            for row in rows
        ]
    return out


def test_text_that_looks_like_a_formula_is_text_in_the_result_workbook(tmp_path):
    text = {
        "kam": "=1+1",
        "team": "+A组",
        "customer_name": "@SUM(A1)",
        "registration_name": "-王五",
        "salesperson": "\t-刘洋",
        "source": "=cmd|' /C calc'!A0",
        "unit_name": "\r=某某科技",
        "photo": '=IMAGE("x")',
        "contact": "@周经理",
        "property": "-1-101",
    }
    path = _every_text_column_workbook(tmp_path / "=week.xlsx", text, bad_source="\t@bad")
    store = Store(tmp_path / "kam.duckdb")
    result = store.ingest(path)
    assert [c.rejected for c in result.sheets] == [0, 1, 0, 0, 0, 0]
    results = report.compute(store)
    for lang in ("zh", "en"):
        got = _exported(results, lang)
        assert got["summary"][0]["kam"] == ("=1+1", "s")
        assert got["summary"][0]["team"] == ("+A组", "s")
        assert got["leads"][0]["customer_name"] == ("@SUM(A1)", "s")
        assert got["visits"][0]["salesperson"] == ("-刘洋", "s")
        assert got["units"][0]["unit_name"] == ("=某某科技", "s")
        assert got["commissions"][0]["property"] == ("-1-101", "s")
        assert got["commissions"][0]["phone"] == ("13800000001", "s")
        assert got["rejected"][0]["file"] == ("=week.xlsx", "s")
        raw, kind = got["rejected"][0]["raw"]
        assert kind == "s" and json.loads(raw)["来源"] == "\t@bad"
    store.close()


def test_template_and_sample_workbooks_hold_no_formula(tmp_path):
    for lang in ("zh", "en"):
        path = write_template(tmp_path / f"template-{lang}.xlsx", lang)
        _assert_no_formula(path)
    for path in write_sample(tmp_path / "sample"):
        if path.suffix == ".xlsx":
            _assert_no_formula(path)


def test_sample_ingested_and_exported_holds_no_formula(tmp_path):
    store = Store(tmp_path / "kam.duckdb")
    for path in SAMPLE[:3]:
        store.ingest(path)
    buffer = io.BytesIO()
    export.write_workbook(report.compute(store), buffer, "zh")
    _assert_no_formula(buffer.getvalue())
    store.close()


# Any Unicode except lone surrogates (not text) and U+FFFE/U+FFFF, which calamine returns as `_xFFFE_` from a
# workbook; the normaliser removes those (decisions.md 19b; see the control_chars corpus case for CSV).
UNICODE = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff"),
    min_size=1,
    max_size=12,
)
TEXT_COLUMNS = (
    "kam",
    "team",
    "customer_name",
    "registration_name",
    "salesperson",
    "source",
    "unit_name",
    "photo",
    "contact",
    "property",
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(st.fixed_dictionaries({c: UNICODE for c in TEXT_COLUMNS}), st.sampled_from(DANGEROUS))
def test_any_unicode_in_every_text_column_round_trips_to_the_exported_workbook(tmp_path, text, prefix):
    text = dict(text, kam=prefix + text["kam"])  # always one formula-like value
    for column in ("kam", "salesperson"):
        if clean_name(text[column]) is None:
            text[column] = "王伟" + text[column]
    for column in ("property", "unit_name"):
        if clean_text(text[column]) is None:
            text[column] = "1-101" + text[column]
    folder = Path(tempfile.mkdtemp(prefix="ex", dir=tmp_path))  # hypothesis replays an example: never reuse
    path = _every_text_column_workbook(folder / "week.xlsx", text)
    store = Store(":memory:")
    try:
        result = store.ingest(path)
        assert [(c.kind, c.read, c.rejected) for c in result.sheets] == [
            ("roster", 1, 0),
            ("registrations", 2, 1),
            ("units", 1, 0),
            ("leads", 1, 0),
            ("visits", 1, 0),
            ("deals", 1, 0),
        ]
        cur = store.cursor()
        stored = cur.execute(
            "select r.team, u.unit_name, u.photo, u.contact, g.customer_name, g.source, d.property "
            "from roster r, units u, registrations g, deals d"
        ).fetchall()[0]
        assert stored == (
            clean_text(text["team"]),
            clean_text(text["unit_name"]),
            clean_text(text["photo"]),
            clean_text(text["contact"]),
            clean_name(text["registration_name"]),
            clean_text(text["source"]),
            clean_text(text["property"]),
        )
        got = _exported(report.compute(store))
        kam, name, sales = (
            clean_name(text["kam"]),
            clean_name(text["customer_name"]),
            clean_name(text["salesperson"]),
        )
        s = lambda v: (v, "s") if v is not None else (None, "n")  # noqa: E731 - an empty cell is written empty
        assert got["summary"][0]["kam"] == s(kam)
        assert got["summary"][0]["team"] == s(clean_text(text["team"]))
        assert got["leads"][0]["kam"] == s(kam)
        assert got["leads"][0]["customer_name"] == s(name)
        assert got["visits"][0]["customer_name"] == s(name)
        assert got["visits"][0]["salesperson"] == s(sales)
        assert got["units"][0]["unit_name"] == s(clean_text(text["unit_name"]))
        line = got["commissions"][0]
        assert (line["kam"], line["property"], line["salesperson"]) == (
            s(kam),
            s(clean_text(text["property"])),
            s(sales),
        )
        raw = json.loads(got["rejected"][0]["raw"][0])
        assert raw["来源"] == text["source"] and raw["客户姓名"] == text["customer_name"]
    finally:
        store.close()


# -- 5. the ledger never forgets; store faults end in one line; no leftovers (issue 11) ------------------


def _store_with_uploads_in_the_wal(folder: Path) -> Store:
    """Three sample weeks: the first checkpointed into kam.duckdb, the last two only in its WAL."""
    store = Store(folder / "kam.duckdb")
    store.ingest(SAMPLE[0])
    store.cursor().execute("checkpoint")
    store.ingest(SAMPLE[1])
    store.ingest(SAMPLE[2])
    assert _sizes(folder / "kam.duckdb")[1] > 0, "the last uploads sit in the WAL"
    return store


def _copy_store(source: Path, target: Path, wal: bytes | None) -> Path:
    """What a backup by hand gets while the store is open: kam.duckdb, uploads/, and the WAL as given."""
    target.mkdir(parents=True)
    shutil.copy(source / "kam.duckdb", target / "kam.duckdb")
    shutil.copytree(source / "uploads", target / "uploads")
    if wal is not None:
        (target / "kam.duckdb.wal").write_bytes(wal)
    return target / "kam.duckdb"


@pytest.mark.parametrize("wal", ["missing", "truncated"])
def test_a_store_copied_without_its_wal_keeps_the_ledger_and_rebuild_restores_every_upload(tmp_path, wal):
    store = _store_with_uploads_in_the_wal(tmp_path / "live")
    expected = report.compute(store)
    wal_bytes = (tmp_path / "live" / "kam.duckdb.wal").read_bytes()
    db = _copy_store(
        tmp_path / "live", tmp_path / "copy", None if wal == "missing" else wal_bytes[: len(wal_bytes) // 2]
    )
    ledger_before = (db.parent / "uploads" / "ledger.jsonl").read_bytes()
    copy = Store(db)
    kept_by_duckdb = copy.counts()["uploads"]
    assert kept_by_duckdb == (1 if wal == "missing" else 2), (
        "DuckDB drops what the (lost part of the) WAL held"
    )
    assert (db.parent / "uploads" / "ledger.jsonl").read_bytes().startswith(ledger_before), "never cut"
    assert list(copy.ledger.live()) == [1, 2, 3]
    assert copy.ledger_ahead == 3 - kept_by_duckdb
    assert copy.rebuild() == 3
    assert list(copy.uploads()["file_name"]) == [p.name for p in reversed(SAMPLE[:3])]
    assert_same_results(report.compute(copy), expected)
    consistent(copy)
    copy.close()
    store.close()


def test_a_new_upload_after_a_lost_wal_takes_a_new_id_and_rebuild_keeps_all_four(tmp_path):
    store = _store_with_uploads_in_the_wal(tmp_path / "live")
    db = _copy_store(tmp_path / "live", tmp_path / "copy", None)
    store.close()
    copy = Store(db)
    assert copy.ingest(SAMPLE[3]).upload_id == 4, "ids 2 and 3 still belong to the ledger's uploads"
    assert copy.rebuild() == 4
    assert list(copy.uploads().sort_values("upload_id")["file_name"]) == [p.name for p in SAMPLE[:4]]


def test_rebuild_adds_kept_files_the_ledger_lost_oldest_first(tmp_path):
    store = Store(tmp_path / "kam.duckdb")
    for p in SAMPLE[:3]:
        store.ingest(p)
    expected = report.compute(store)
    store.close()
    (tmp_path / "kam.duckdb").unlink()
    (tmp_path / "uploads" / "ledger.jsonl").unlink()
    kept = {files_sha(p): p for p in SAMPLE[:3]}
    for path in (tmp_path / "uploads").iterdir():  # the kept files' times say the upload order
        when = 1_700_000_000 + SAMPLE.index(kept[path.stem]) * 60
        os.utime(path, (when, when))
    store = Store(tmp_path / "kam.duckdb")
    assert store.rebuild() == 3
    got = report.compute(store)
    # The display names went with the ledger: the kept name (hash) stands in for them.
    names = {p.name: f"{files_sha(p)}.xlsx" for p in SAMPLE[:3]}
    for name in ("rejected", "warnings"):
        want = getattr(expected, name).assign(file=lambda f: f["file"].map(names))
        pd.testing.assert_frame_equal(getattr(got, name).reset_index(drop=True), want.reset_index(drop=True))
    got = dataclasses.replace(got, rejected=expected.rejected, warnings=expected.warnings)
    assert_same_results(got, expected)
    assert list(store.uploads().sort_values("upload_id")["file_name"]) == list(names.values())
    assert list(store.ledger.live()) == [1, 2, 3]


def files_sha(path: Path) -> str:
    from kam_metrics.ingest.files import sha256

    return sha256(path)


def test_undo_is_appended_to_the_ledger_and_rebuild_does_not_bring_the_upload_back(tmp_path):
    store = Store(tmp_path / "kam.duckdb")
    for p in SAMPLE[:3]:
        store.ingest(p)
    lines = (tmp_path / "uploads" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    store.undo(2)
    after = (tmp_path / "uploads" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    assert after[: len(lines)] == lines and json.loads(after[-1])["op"] == "undo"
    assert store.rebuild() == 2
    assert sorted(store.uploads()["file_name"]) == [SAMPLE[0].name, SAMPLE[2].name]
    consistent(store)


@pytest.mark.parametrize("damage", ["garbled_wal", "truncated_db"])
def test_a_damaged_store_is_one_line_and_rebuild_moves_it_aside_and_restores_every_upload(tmp_path, damage):
    from kam_metrics.ingest.faults import StoreError

    store = _store_with_uploads_in_the_wal(tmp_path / "live")
    expected = report.compute(store)
    wal = (tmp_path / "live" / "kam.duckdb.wal").read_bytes()
    if damage == "garbled_wal":
        db = _copy_store(tmp_path / "live", tmp_path / "copy", wal[:100] + b"\x13" * 200 + wal[300:])
        code = "wal_damaged"
    else:
        db = _copy_store(tmp_path / "live", tmp_path / "copy", None)
        db.write_bytes(db.read_bytes()[:5000])
        code = "corrupt"
    store.close()
    damaged = db.read_bytes()
    with pytest.raises(StoreError) as raised:
        Store(db)
    assert raised.value.code == code
    done = run_cli("--lang", "en", "uploads", "--db", db)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == f"uploads: {raised.value.message('en')}\n"
    assert f"rebuild --db {db}" in done.stderr
    done = run_cli("--lang", "en", "rebuild", "--db", db)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "store rebuilt from 3 kept files\n"
    aside = sorted(p for p in db.parent.iterdir() if p.name.startswith("kam.duckdb.broken-"))
    assert aside[0].read_bytes() == damaged, "the damaged file is kept, byte for byte"
    assert [p.name.endswith(".wal") for p in aside] == ([False, True] if damage == "garbled_wal" else [False])
    assert done.stderr == f"the store that could not be opened was kept as {aside[0]}\n"
    rebuilt = Store(db)
    assert_same_results(report.compute(rebuilt), expected)
    rebuilt.close()


def _fault(error):
    from kam_metrics.ingest.faults import StoreError

    assert isinstance(error, StoreError), error
    return error.code, error.message("en")


@pytest.mark.parametrize("unwritable", ["kam.duckdb", "uploads"])
def test_an_unwritable_store_or_uploads_folder_opens_read_only_for_viewing(tmp_path, monkeypatch, unwritable):
    from kam_metrics.ingest import store as store_module
    from kam_metrics.ingest.faults import StoreError

    store = Store(tmp_path / "kam.duckdb")
    store.ingest(SAMPLE[0])
    expected = report.compute(store)
    store.close()
    ledger = (tmp_path / "uploads" / "ledger.jsonl").read_bytes()
    # Root ignores permission bits, so the permission check is what the test turns off.
    monkeypatch.setattr(store_module, "_writable", lambda p: Path(p).name != unwritable)
    viewer = Store(tmp_path / "kam.duckdb")
    assert viewer.read_only
    assert_same_results(report.compute(viewer), expected)
    assert list(viewer.uploads()["file_name"]) == [SAMPLE[0].name]
    for change in (lambda: viewer.ingest(SAMPLE[1]), lambda: viewer.undo(1), viewer.rebuild, viewer.clear):
        with pytest.raises(StoreError) as raised:
            change()
        assert _fault(raised.value) == (
            "read_only",
            f"the store {tmp_path / 'kam.duckdb'} or its uploads folder is read-only: it can be viewed but not "
            "changed (upload, undo, rebuild). Ask an administrator for write access.",
        )
    assert (tmp_path / "uploads" / "ledger.jsonl").read_bytes() == ledger
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == sorted(
        [f"{files_sha(SAMPLE[0])}.xlsx", "ledger.jsonl"]
    )
    viewer.close()


def test_a_store_whose_folder_does_not_exist_is_refused_and_nothing_is_created(tmp_path):
    from kam_metrics.ingest.faults import StoreError

    typo = tmp_path / "dta" / "kam.duckdb"
    for create in ("in_folder", "never"):
        with pytest.raises(StoreError) as raised:
            Store(typo, create=create)
        assert raised.value.code == "folder_missing"
    for args in (["ingest", "--db", typo, SAMPLE[0]], ["report", "--db", typo, "--out", tmp_path / "r.xlsx"]):
        done = subprocess.run(
            [sys.executable, "-m", "kam_metrics", "--lang", "en", *map(str, args)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 2
        assert done.stderr == (
            f"{args[0]}: the folder {typo.parent} of the store does not exist: check KAM_DB or --db for a typo, "
            "or create the folder first if a new store is intended.\n"
        )
    env = os.environ | {"KAM_DB": str(typo)}
    done = subprocess.run(
        [sys.executable, "-m", "kam_metrics", "--lang", "en", "uploads"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2 and "the folder" in done.stderr and "Traceback" not in done.stderr
    assert not typo.parent.exists()


def test_viewing_commands_on_a_missing_store_say_so_and_create_nothing(tmp_path):
    db = tmp_path / "kam.duckdb"
    for args in (
        ["uploads"],
        ["report", "--out", tmp_path / "r.xlsx"],
        ["undo", "1"],
        ["backup", "--out", tmp_path / "b"],
    ):
        done = run_cli("--lang", "en", args[0], "--db", db, *args[1:])
        assert done.returncode == 2
        assert done.stderr == (
            f"{args[0]}: there is no store at {db}: check KAM_DB or --db for a typo, or run ingest to create a new store.\n"
        )
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["kept copy", "ledger", "commit"])
def test_a_full_disk_is_one_message_and_leaves_the_store_and_folders_as_they_were(
    tmp_path, monkeypatch, where
):
    import errno

    from kam_metrics.ingest import files
    from kam_metrics.ingest import store as store_module

    store = Store(tmp_path / "kam.duckdb")
    store.ingest(SAMPLE[0])
    before = store.counts()
    listing = sorted(p.name for p in (tmp_path / "uploads").iterdir())

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "kept copy":
        monkeypatch.setattr(files.shutil, "copyfile", full)
    elif where == "ledger":
        monkeypatch.setattr(files.Ledger, "append_pending", full)
    else:
        monkeypatch.setattr(store_module, "_before_commit_hook", full)
    with pytest.raises(Exception) as raised:
        store.ingest(SAMPLE[1])
    assert _fault(raised.value) == (
        "disk_full",
        f"the disk is full ({tmp_path}): nothing of this action was saved. Free some space and try again.",
    )
    assert store.counts() == before
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == listing, "no .part, no orphan copy"
    consistent(store)
    monkeypatch.undo()
    assert store.ingest(SAMPLE[1]).upload_id == 2
    consistent(store)


def test_the_cli_says_in_one_line_that_another_process_holds_the_store(tmp_path):
    db = tmp_path / "kam.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from kam_metrics.ingest.store import Store; s = Store({str(db)!r}); print('ready', flush=True); input()",
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for args in (["uploads"], ["ingest", SAMPLE[0]]):
            done = run_cli("--lang", "en", args[0], "--db", db, *args[1:])
            assert done.returncode == 2
            assert done.stderr == (
                f"{args[0]}: the store {db} is held by another program (PID {holder.pid}, usually the running "
                "dashboard): use the dashboard, or stop it and run the command again.\n"
            )
    finally:
        holder.communicate("\n", timeout=60)


def test_leftovers_of_killed_uploads_are_swept_on_the_next_open(tmp_path):
    store = Store(tmp_path / "kam.duckdb")
    store.ingest(SAMPLE[0])
    store.close()
    uploads = tmp_path / "uploads"
    (uploads / ".0123456789ab-x1.part").write_bytes(b"half a copy")
    (uploads / ".tmp" / "abc").mkdir(parents=True)
    (uploads / ".tmp" / "abc" / "upload.xlsx").write_bytes(b"a temp copy")
    orphan = f"{files_sha(SAMPLE[1])}.xlsx"
    shutil.copy(SAMPLE[1], uploads / orphan)  # kept, then killed before COMMIT
    from kam_metrics.ingest.files import Ledger

    Ledger(uploads).append_pending(orphan)
    store = Store(tmp_path / "kam.duckdb")
    assert sorted(p.name for p in uploads.iterdir()) == [
        ".tmp",
        f"{files_sha(SAMPLE[0])}.xlsx",
        "ledger.jsonl",
    ]
    assert list((uploads / ".tmp").iterdir()) == []
    consistent(store)
    assert store.rebuild() == 1, "a swept orphan is not an upload"


def test_a_failed_upload_removes_its_kept_copy_but_not_one_another_upload_uses(tmp_path, monkeypatch):
    from kam_metrics.ingest import store as store_module

    store = Store(tmp_path / "kam.duckdb")
    store.ingest(SAMPLE[0])

    def fail(cur):
        raise RuntimeError("injected")

    monkeypatch.setattr(store_module, "_before_commit_hook", fail)
    for p in (SAMPLE[1], SAMPLE[0]):
        with pytest.raises(RuntimeError):
            store.ingest(p)
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [
        f"{files_sha(SAMPLE[0])}.xlsx",
        "ledger.jsonl",
    ]


LONG_NAME = "二〇二六年第三十七周大客户经理报备带访成交明细（华东区域·上海·浦东新区）" * 6


def test_a_300_character_file_name_is_stored_in_full_and_kept_by_its_hash(tmp_path):
    name = (LONG_NAME * 2)[:295] + ".xlsx"
    assert len(name) == 300
    store = Store(tmp_path / "kam.duckdb")
    result = store.ingest(SAMPLE[0], name=name)
    assert result.sheets and all(c.file == name for c in result.sheets)
    assert list(store.uploads()["file_name"]) == [name]
    assert store.ledger.live()[1]["file_name"] == name
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [
        f"{files_sha(SAMPLE[0])}.xlsx",
        "ledger.jsonl",
    ]
    assert store.rebuild() == 1 and list(store.uploads()["file_name"]) == [name]


def test_the_cli_ingests_a_file_with_the_longest_name_the_disk_allows(tmp_path):
    name = "第三十七周报备明细" * 9 + "报备" + ".xlsx"  # 83 × 3 bytes + 5 = 254: the file system allows 255
    assert len(name.encode()) == 254
    path = tmp_path / "in" / name
    path.parent.mkdir()
    shutil.copy(SAMPLE[0], path)
    db = tmp_path / "kam.duckdb"
    done = run_cli("--lang", "en", "ingest", "--db", db, path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and f"{name} · " in done.stdout
    assert name in run_cli("--lang", "en", "uploads", "--db", db).stdout


def test_backup_is_a_consistent_copy_while_the_store_is_open(tmp_path):
    store = _store_with_uploads_in_the_wal(tmp_path / "live")
    expected = report.compute(store)
    assert store.backup(tmp_path / "backup") == 3
    assert sorted(p.name for p in (tmp_path / "backup").iterdir()) == ["kam.duckdb", "uploads"]
    copy = Store(tmp_path / "backup" / "kam.duckdb", create="never")
    assert copy.ledger_ahead == 0
    assert_same_results(report.compute(copy), expected)
    consistent(copy)
    copy.close()
    from kam_metrics.ingest.faults import StoreError

    with pytest.raises(StoreError) as raised:
        store.backup(tmp_path / "backup")
    assert raised.value.code == "backup_exists"
    store.close()
    done = run_cli(
        "--lang", "en", "backup", "--db", tmp_path / "live" / "kam.duckdb", "--out", tmp_path / "b2"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"store, 3 kept files and the ledger backed up to {tmp_path / 'b2'}\n"


def test_a_schema_1_store_opens_and_upgrades_in_place_with_nothing_lost(tmp_path):
    shutil.copytree(ROOT / "tests" / "data" / "stores" / "v1", tmp_path / "v1")
    ledger = (tmp_path / "v1" / "uploads" / "ledger.jsonl").read_bytes()
    old = Store(tmp_path / "v1" / "kam.duckdb", create="never")
    fresh = Store(tmp_path / "fresh" / "kam.duckdb")
    for p in SAMPLE[:3]:
        fresh.ingest(p)
    meta = dict(old.cursor().execute("select key, value from meta").fetchall())
    assert meta["schema_version"] == str(SCHEMA_VERSION) and meta["last_upload_id"] == "3"
    tables = {row[0] for row in old.cursor().execute("show tables").fetchall()}
    assert {"rule_versions", "adjudications", "disputes", "closes", "close_items"} <= tables
    assert list(old.uploads()["file_name"]) == list(fresh.uploads()["file_name"])
    assert list(old.ledger.live()) == [1, 2, 3] and old.ledger_ahead == 0
    assert (tmp_path / "v1" / "uploads" / "ledger.jsonl").read_bytes() == ledger, "nothing to add"
    assert_same_results(report.compute(old), report.compute(fresh))
    assert old.rebuild() == 3
    assert_same_results(report.compute(old), report.compute(fresh))


def test_an_upload_read_in_a_worker_process_stores_exactly_what_ingest_stores(tmp_path):
    from kam_metrics.ingest.worker import ingest_in_process

    direct = Store(tmp_path / "direct" / "kam.duckdb")
    want = direct.ingest(SAMPLE[0])
    store = Store(tmp_path / "worker" / "kam.duckdb")
    seen = []
    got = ingest_in_process(store, SAMPLE[0], SAMPLE[0].name, lambda f, sheet: seen.append(f))
    assert (got.sheets, got.notes, got.rejected, got.warnings) == (
        want.sheets,
        want.notes,
        want.rejected,
        want.warnings,
    )
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert store.counts() == direct.counts()
    assert_same_results(report.compute(store), report.compute(direct))
    assert list((store.uploads_dir / ".tmp").iterdir()) == [], "the hand-over file is gone"
    consistent(store)


def test_a_worker_process_refuses_an_unreadable_file_like_ingest_and_stores_nothing(tmp_path):
    from kam_metrics.ingest.reader import UnreadableFile
    from kam_metrics.ingest.worker import ingest_in_process

    bad = tmp_path / "scan.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a workbook")
    store = Store(tmp_path / "kam.duckdb")
    with pytest.raises(UnreadableFile) as raised:
        ingest_in_process(store, bad, "scan.xlsx")
    assert raised.value.code == "not_spreadsheet"
    assert store.counts()["uploads"] == 0
    assert sorted(p.name for p in store.uploads_dir.iterdir()) == [".tmp"]
