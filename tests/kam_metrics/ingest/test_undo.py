"""Issue 14: undo re-derives the later uploads from stored and seen rows, without their files, and every table of the
store is then the one ingesting the remaining files in order (same upload ids) gives: identical to the replay."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kam_metrics.contract.sheets import SHEET_KINDS
from kam_metrics.engine import report
from kam_metrics.ingest.store import Store
from tests.kam_metrics.ingest.test_store import P3, REJECTED, VALID, assert_same_results, sheets_workbook

P4 = "13800000004"
TABLES = [k.name for k in SHEET_KINDS] + ["rejected", "warnings", "upload_sheets"]
SEEN = [f"seen_{k.name}" for k in SHEET_KINDS] + ["seen_rejected", "seen_warnings", "seen_sheets"]
LEAD, VISIT, REG = VALID["leads"], VALID["visits"], VALID["registrations"]
SIGNED = VALID["deals"]
CANCELLED = SIGNED | {"status": "退房", "cancelled_at": "2026-03-20"}


def six_files(folder: Path) -> list[Path]:
    """Six uploads exercising every case a later upload's rows depend on the earlier ones by (SPEC §2)."""
    folder.mkdir(parents=True, exist_ok=True)
    roster_b = {"kam": "张敏", "team": "B组", "start_date": "2026-03-02"}
    first = sheets_workbook(
        folder / "一.xlsx",
        [
            ("大客户经理名单", "roster", [VALID["roster"], roster_b]),
            (
                "报备",
                "leads",
                [LEAD, LEAD, REJECTED["leads"]],
            ),  # a duplicate within the sheet, a rejected row
            ("客户登记", "registrations", [REG]),
            ("带访", "visits", [VISIT | {"party_size": "三"}]),  # a warning
            ("拓展单位", "units", [VALID["units"]]),
            ("成交", "deals", [SIGNED]),
        ],
    )
    files = [
        first,
        sheets_workbook(
            folder / "二.xlsx",
            [
                # the lead's key again with other content; a new lead; the same rejected row again
                (
                    "报备",
                    "leads",
                    [LEAD | {"customer_name": "李四四"}, LEAD | {"phone": P3}, REJECTED["leads"]],
                ),
                ("带访", "visits", [VISIT | {"party_size": "三"}, VISIT | {"phone": P4, "party_size": "四"}]),
                # 王伟 unchanged, 张敏 moves team, 张敏's row twice
                (
                    "大客户经理名单",
                    "roster",
                    [VALID["roster"], roster_b | {"team": "C组"}, roster_b | {"team": "C组"}],
                ),
                ("成交", "deals", [CANCELLED]),
            ],
        ),
        sheets_workbook(
            folder / "三.xlsx", [("大客户经理名单", "roster", [VALID["roster"] | {"team": "B组"}])]
        ),  # undated
        folder / "一（再次）.xlsx",  # the first file again: a repeat of upload 1
        sheets_workbook(
            folder / "五.xlsx",
            [
                (
                    "成交",
                    "deals",
                    [SIGNED | {"amount": "1000000"}, SIGNED | {"phone": P3, "property": "2-202"}],
                ),
                (
                    "报备",
                    "leads",
                    [LEAD | {"phone": P3}, LEAD | {"phone": P4, "reported_at": "2026-03-05 09:00"}],
                ),
                (
                    "报备客户",
                    "leads",
                    [LEAD | {"phone": P4, "reported_at": "2026-03-05 09:00"}, LEAD],
                ),  # a 2nd sheet
                ("客户登记", "registrations", [REG, REG | {"phone": P4}]),
                ("带访", "visits", [VISIT | {"party_size": "三"}]),
            ],
        ),
        sheets_workbook(
            folder / "六.xlsx",
            [
                ("大客户经理名单", "roster", [VALID["roster"], roster_b]),
                ("报备", "leads", [LEAD | {"reported_at": "2026-03-01 09:00"}, REJECTED["leads"]]),
                ("拓展单位", "units", [VALID["units"], VALID["units"] | {"unit_name": "abc 公司"}]),
            ],
        ),
    ]
    shutil.copyfile(first, files[3])
    return files


def tables(store: Store) -> dict[str, pd.DataFrame]:
    """Every upload table of the store, the seen ones too, rows sorted (the order of a table is no result)."""
    cur = store.cursor()
    out = {}
    for table in [*TABLES, *SEEN, "uploads"]:
        frame = cur.execute(f"select * from {table}").df().drop(columns=["uploaded_at"], errors="ignore")
        cols = list(frame.columns)
        out[table] = frame.sort_values(cols, kind="stable", na_position="first").reset_index(drop=True)
    sheets = cur.execute("select upload_id from uploads order by 1").fetchall()
    for (uid,) in sheets:
        out[f"upload_sheets({uid})"] = store.upload_sheets(uid)
    return out


def assert_same_store(got: Store, want: Store) -> None:
    a, b = tables(got), tables(want)
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)
    assert_same_results(report.compute(got), report.compute(want))


def ingest_with_ids(path: Path, files: dict[int, Path]) -> Store:
    """The replay: a new store ingesting ``files`` in order, each under its given upload id."""
    store = Store(path)
    for uid, f in files.items():
        store.cursor().execute("insert or replace into meta values ('last_upload_id', ?)", [str(uid - 1)])
        assert store.ingest(f).upload_id == uid
    return store


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    return six_files(tmp_path_factory.mktemp("files"))


def test_the_six_files_hold_every_case(files, tmp_path):
    store = ingest_with_ids(tmp_path / "k.duckdb", dict(enumerate(files, start=1)))
    try:
        cur = store.cursor()
        counts = {t: cur.execute(f"select count(*) from {t}").fetchall()[0][0] for t in SEEN}
        assert counts == {
            "seen_roster": 2,  # upload 2: 王伟 unchanged, 张敏's second row repeats the first
            "seen_registrations": 1,
            "seen_units": 2,  # upload 6: the unit again, and "abc 公司" (the same unit key)
            "seen_leads": 5,
            "seen_visits": 2,
            "seen_deals": 0,
            "seen_rejected": 2,
            "seen_warnings": 2,
            "seen_sheets": 19,
        }
        assert cur.execute(
            "select upload_id, repeat_of from uploads where repeat_of is not null"
        ).fetchall() == [(4, 1)]
        superseded = cur.execute(
            "select upload_id, sheet, superseded from upload_sheets where superseded > 0"
        )
        # upload 5's signed deal loses to upload 2's cancellation (03-20); upload 6 (03-03) sets both KAMs back
        assert superseded.fetchall() == [(5, "成交", 1), (6, "大客户经理名单", 2)]
    finally:
        store.close()


@pytest.mark.parametrize("undone", [1, 2, 3, 4, 5, 6])
def test_undo_of_each_upload_gives_the_store_of_the_replay(files, tmp_path, undone):
    every = dict(enumerate(files, start=1))
    store = ingest_with_ids(tmp_path / "a" / "k.duckdb", every)
    want = ingest_with_ids(tmp_path / "b" / "k.duckdb", {u: f for u, f in every.items() if u != undone})
    try:
        for f in (tmp_path / "a" / "uploads").glob("*.xlsx"):
            f.unlink()  # the undo reads no file
        store.undo(undone)
        assert_same_store(store, want)
    finally:
        store.close()
        want.close()


@pytest.mark.parametrize("order", [(1, 4), (4, 1), (2, 5), (5, 2, 1), (6, 3, 1)])
def test_undos_one_after_another_give_the_store_of_the_replay(files, tmp_path, order):
    every = dict(enumerate(files, start=1))
    store = ingest_with_ids(tmp_path / "a" / "k.duckdb", every)
    want = ingest_with_ids(tmp_path / "b" / "k.duckdb", {u: f for u, f in every.items() if u not in order})
    try:
        for uid in order:
            store.undo(uid)
        assert_same_store(store, want)
    finally:
        store.close()
        want.close()


def test_a_v5_store_undoes_by_replaying_the_kept_files(tmp_path):
    """tests/data/stores/v5 (see its README): upload 3 had lead 13800000001 as a duplicate of upload 2's and the
    rejected row again; its uploads have no seen rows, so undoing upload 2 re-reads upload 3's kept file."""
    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "stores" / "v5", tmp_path / "v5")
    store = Store(tmp_path / "v5" / "kam.duckdb")
    try:
        cur = store.cursor()
        assert cur.execute("select value from meta where key in ('schema_version', 'undo_ready_from') order by key")\
            .fetchall() == [("6",), ("4",)]  # fmt: skip
        store.undo(2)
        leads = cur.execute(
            "select upload_id, sheet, row_no, kam, phone from leads order by row_no"
        ).fetchall()
        assert leads == [(3, "报备2", 2, "张三", "13800000001"), (3, "报备2", 3, "张三", "13800000002")]
        assert cur.execute("select upload_id, sheet, row_no from rejected").fetchall() == [(3, "报备2", 4)]
        assert cur.execute("select upload_id, duplicates from upload_sheets order by 1").fetchall() == [
            (1, 0),
            (3, 0),
        ]
        # upload 3 was stored again with its seen rows: undoing upload 1 now needs no file
        assert cur.execute("select value from meta where key = 'undo_ready_from'").fetchall() == [("2",)]
        for f in (tmp_path / "v5" / "uploads").glob("*.csv"):
            f.unlink()
        store.undo(1)
        assert store.counts()["roster"] == 0 and store.counts()["leads"] == 2
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("undone", [1, 52])
def test_undo_of_the_first_and_the_last_of_the_benchmarks_52_weeks_gives_the_replay(tmp_path, undone):
    """bench/generate.py's 10k weekly set (52 workbooks, a roster in each): bench/compare.py's store tables and every
    Results frame after the undo equal those of the remaining 51 files ingested with the same upload ids."""
    from bench import generate
    from bench.compare import _frames, store_tables

    weeks, _ = generate.generate_all(10_000)
    every = dict(enumerate(weeks, start=1))
    store = ingest_with_ids(tmp_path / "a" / "k.duckdb", every)
    want = ingest_with_ids(tmp_path / "b" / "k.duckdb", {u: f for u, f in every.items() if u != undone})
    try:
        store.undo(undone)
        got_tables, want_tables = store_tables(store), store_tables(want)
        assert list(got_tables) == list(want_tables)
        for name, frame in got_tables.items():
            pd.testing.assert_frame_equal(frame, want_tables[name], obj=name)
        got, expected = _frames(report.compute(store)), _frames(report.compute(want))
        assert list(got) == list(expected)
        for name, frame in got.items():
            pd.testing.assert_frame_equal(frame, expected[name], obj=name)
        a, b = tables(store), tables(want)
        for name in SEEN:
            pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)
    finally:
        store.close()
        want.close()
