"""SPEC §2 Rejected rows, duplicates, nothing lost: counts, natural keys, one transaction per upload, undo, rebuild."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.export import workbook as export
from kam_metrics.ingest import store as store_module
from kam_metrics.ingest.store import SCHEMA_VERSION, SheetCounts, Store

P1, P2, P3 = "13800000001", "13800000002", "13800000003"

# One valid row per kind (field → cell text).
VALID = {
    "roster": {"kam": "王伟", "team": "A组", "start_date": "2026-03-02"},
    "registrations": {
        "registered_at": "2026-03-04 10:00",
        "customer_name": "张三",
        "phone": P1,
        "salesperson": "赵六",
    },
    "units": {"date": "2026-03-03", "kam": "王伟", "unit_name": "ABC公司", "photo": "p1.jpg"},
    "leads": {"reported_at": "2026-03-03 10:00", "kam": "王伟", "customer_name": "李四", "phone": P2},
    "visits": {
        "visited_at": "2026-03-04 15:00",
        "kam": "王伟",
        "customer_name": "李四",
        "phone": P2,
        "salesperson": "赵六",
    },
    "deals": {
        "signed_at": "2026-03-10",
        "phone": P2,
        "property": "1-101",
        "salesperson": "赵六",
        "salesperson_commission": "4000",
    },
}
# One row per kind that is rejected (a required value missing).
REJECTED = {
    "roster": VALID["roster"] | {"kam": ""},
    "registrations": VALID["registrations"] | {"phone": "123"},
    "units": VALID["units"] | {"unit_name": ""},
    "leads": VALID["leads"] | {"reported_at": "2026-02-30"},
    "visits": VALID["visits"] | {"kam": ""},
    "deals": VALID["deals"] | {"salesperson_commission": "-1"},
}


def _blank(kind: str) -> dict:
    return dict.fromkeys(VALID[kind], "")


def write_workbook(path: Path, sheets: dict[str, list[dict]]) -> Path:
    """An .xlsx with one sheet per kind (named by its first alias), canonical headers, cells as text."""
    return sheets_workbook(path, [(KINDS[kind].aliases[0], kind, rows) for kind, rows in sheets.items()])


def sheets_workbook(path: Path, sheets: list[tuple[str, str, list[dict]]]) -> Path:
    """An .xlsx of (sheet name, kind, rows) sheets with canonical headers, cells as text (two sheets may share a kind)."""
    wb = xlsxwriter.Workbook(str(path))
    for name, kind, rows in sheets:
        fields = [f for f in KINDS[kind].fields if any(f.name in r for r in rows)]
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, [f.canonical for f in fields])
        for i, row in enumerate(rows, start=1):
            for j, f in enumerate(fields):
                if row.get(f.name):
                    ws.write_string(i, j, row[f.name])
    wb.close()
    return path


def _frames(results) -> dict[str, pd.DataFrame]:
    return {k: v for k, v in vars(results).items() if isinstance(v, pd.DataFrame)}


def assert_same_results(left, right, drop: tuple[str, ...] = ()) -> None:
    """Every result frame equal, row for row (optionally without provenance columns such as upload_id)."""
    a, b = _frames(left), _frames(right)
    assert a.keys() == b.keys()
    for name in a:
        x = a[name].drop(columns=[c for c in drop if c in a[name].columns])
        y = b[name].drop(columns=[c for c in drop if c in b[name].columns])
        pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), obj=name)
    assert (left.as_of, left.in_progress_week) == (right.as_of, right.in_progress_week)


def _ledger(store: Store) -> list[dict]:
    return store.uploads().drop(columns=["upload_id", "sha256", "uploaded_at"]).to_dict("records")


# -- counts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_accepted_plus_rejected_equals_data_rows_read(upload, kind):
    rows = [VALID[kind], _blank(kind), VALID[kind], REJECTED[kind], _blank(kind)]
    result = upload(kind, rows)
    sheet = KINDS[kind].aliases[0]
    assert result.sheets == [
        SheetCounts(
            file=f"{sheet}.csv",
            sheet=sheet,
            kind=kind,
            read=3,
            accepted=2,
            duplicates=1,
            rejected=1,
            warnings=0,
        )
    ]


def test_counts_hold_for_every_sheet_of_a_workbook(store, tmp_path):
    path = write_workbook(tmp_path / "周报.xlsx", {k: [VALID[k], REJECTED[k], VALID[k]] for k in KINDS})
    result = store.ingest(path)
    assert [(c.sheet, c.read, c.accepted, c.duplicates, c.rejected) for c in result.sheets] == [
        (KINDS[k].aliases[0], 3, 2, 1, 1) for k in KINDS
    ]
    assert all(c.accepted + c.rejected == c.read for c in result.sheets)


# -- rejected rows ----------------------------------------------------------------------------------


def test_rejected_row_is_stored_with_file_sheet_row_raw_values_and_reason(upload, compute):
    bad = VALID["leads"] | {"phone": "010-12345678", "customer_name": " 李四 "}
    upload("leads", [VALID["leads"], bad])
    problems = [{"code": "bad_phone", "column": "手机号", "value": "010-12345678"}]
    raw = {
        "报备时间": "2026-03-03 10:00",
        "大客户经理": "王伟",
        "客户姓名": " 李四 ",
        "手机号": "010-12345678",
    }
    rejected = compute().rejected
    assert rejected.to_dict("records") == [
        {
            "file": "报备.csv",
            "sheet": "报备",
            "row": 3,
            "problems": json.dumps(problems, ensure_ascii=False),
            "raw": json.dumps(raw, ensure_ascii=False),
            "kind": "leads",
            "upload_id": 1,
        }
    ]
    assert {k: json.loads(v) for k, v in rejected[["problems", "raw"]].iloc[0].items()} == {
        "problems": problems,
        "raw": raw,
    }


def test_rejected_row_is_exported(upload, compute, tmp_path):
    upload("leads", [VALID["leads"], VALID["leads"] | {"phone": "123"}])
    results = compute()
    export.write_workbook(results, tmp_path / "out.xlsx", lang="en")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")["rejected"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    reason = report.describe_problems(results.rejected["problems"].iloc[0], "en")
    assert rows == [
        ["file", "sheet", "row", "reason", "raw"],
        ["报备.csv", "报备", 3, reason, results.rejected["raw"].iloc[0]],
    ]


def test_rejected_row_identical_to_a_stored_one_is_not_stored_again(upload, store, compute):
    bad = VALID["leads"] | {"phone": "123"}
    upload("leads", [bad])
    again = upload("leads", [VALID["leads"], bad])
    assert (again.sheets[0].rejected, len(again.rejected)) == (1, 1)  # still reported for this upload
    assert compute().rejected[["file", "row", "upload_id"]].to_dict("records") == [
        {"file": "报备.csv", "row": 2, "upload_id": 1}
    ]
    assert store.counts()["rejected"] == 1


def test_rejected_row_with_other_raw_values_is_stored(upload, store):
    upload("leads", [VALID["leads"] | {"phone": "123"}])
    upload("leads", [VALID["leads"] | {"phone": "1234"}])
    assert store.counts()["rejected"] == 2


# -- natural keys -----------------------------------------------------------------------------------

# kind → (a row, a row with the same natural key written differently, rows with another key)
KEEP_KINDS = {
    "registrations": (
        VALID["registrations"],
        {
            "registered_at": "2026/3/4 10:00:00",
            "customer_name": "张 三",
            "phone": "+86 138-0000-0001",
            "salesperson": "",
        },
        [
            VALID["registrations"] | {"phone": P3},
            VALID["registrations"] | {"registered_at": "2026-03-04 10:01"},
        ],
    ),
    "units": (
        VALID["units"],
        {"date": "2026年3月3日", "kam": "王 伟", "unit_name": " abc 公司 ", "photo": "p2.jpg"},
        [
            VALID["units"] | {"kam": "李娜"},
            VALID["units"] | {"date": "2026-03-04"},
            VALID["units"] | {"unit_name": "ABC集团"},
        ],
    ),
    "leads": (
        VALID["leads"],
        {
            "reported_at": "2026-03-03T10:00:00",
            "kam": "王 伟",
            "customer_name": "王五",
            "phone": "138 0000 0002",
        },
        [
            VALID["leads"] | {"kam": "李娜"},
            VALID["leads"] | {"phone": P3},
            VALID["leads"] | {"reported_at": "2026-03-03 10:00:01"},
        ],
    ),
    "visits": (
        VALID["visits"],
        {"visited_at": "2026-03-04 15:00:00", "kam": "王伟", "customer_name": "", "phone": "8613800000002"},
        [
            VALID["visits"] | {"kam": "李娜"},
            VALID["visits"] | {"phone": P3},
            VALID["visits"] | {"visited_at": "2026-03-05 15:00"},
        ],
    ),
}


@pytest.mark.parametrize("same_file", [True, False], ids=["same_file", "later_upload"])
@pytest.mark.parametrize("kind", list(KEEP_KINDS))
def test_row_whose_natural_key_is_stored_is_a_duplicate_counted_as_accepted(upload, store, kind, same_file):
    first, same_key, _ = KEEP_KINDS[kind]
    if same_file:
        result = upload(kind, [first, same_key])
        counts = (result.sheets[0].accepted, result.sheets[0].duplicates)
        assert counts == (2, 1)
    else:
        upload(kind, [first])
        result = upload(kind, [same_key])
        assert (result.sheets[0].accepted, result.sheets[0].duplicates) == (1, 1)
    rows = store.cursor().execute(f"select upload_id, row_no from {kind}").fetchall()
    assert rows == [(1, 2)]  # the first row stays, stored once


@pytest.mark.parametrize("kind", list(KEEP_KINDS))
def test_rows_differing_in_one_natural_key_column_are_all_stored(upload, store, kind):
    first, _, others = KEEP_KINDS[kind]
    result = upload(kind, [first, *others])
    assert (result.sheets[0].accepted, result.sheets[0].duplicates) == (1 + len(others), 0)
    assert store.counts()[kind] == 1 + len(others)


@pytest.mark.parametrize("same_file", [True, False], ids=["same_file", "later_upload"])
def test_later_roster_row_replaces_the_stored_one_for_that_kam(upload, compute, same_file):
    first = {"kam": "王伟", "team": "A组", "start_date": "2026-03-02", "end_date": ""}
    later = {"kam": "王 伟", "team": "B组", "start_date": "2026-03-09", "end_date": "2026-06-30"}
    if same_file:
        upload("roster", [first, later])
    else:
        upload("roster", [first])
        upload("roster", [later])
    assert compute().kams.to_dict("records") == [
        {
            "kam": "王伟",
            "team": "B组",
            "start_date": dt.date(2026, 3, 9),
            "end_date": dt.date(2026, 6, 30),
            "first_activity": None,
            "on_roster": True,
        }
    ]


_DEAL_LINES = ["phone", "property", "signed_at", "status", "line", "kam_commission", "month"]


@pytest.mark.parametrize("same_file", [True, False], ids=["same_file", "later_upload"])
def test_later_deal_row_replaces_the_stored_deal_with_its_key(upload, compute, same_file):
    upload("leads", [VALID["leads"]])
    signed = VALID["deals"]
    cancelled = signed | {"signed_at": "2026-03-10 15:30", "status": "退房", "cancelled_at": "2026-04-02"}
    if same_file:
        result = upload("deals", [signed, cancelled])
    else:
        upload("deals", [signed])
        result = upload("deals", [cancelled])
    assert result.sheets[0].rejected == 0
    lines = compute().commissions[_DEAL_LINES].to_dict("records")
    common = {
        "phone": P2,
        "property": "1-101",
        "signed_at": pd.Timestamp("2026-03-10 15:30"),
        "status": "cancelled",
    }
    assert lines == [
        common | {"line": "commission", "kam_commission": 200, "month": "2026-03"},
        common | {"line": "clawback", "kam_commission": -200, "month": "2026-04"},
    ]


def test_deal_on_another_signed_date_is_another_deal(upload, compute):
    upload("leads", [VALID["leads"]])
    upload("deals", [VALID["deals"], VALID["deals"] | {"signed_at": "2026-03-11"}])
    lines = compute().commissions[["signed_at", "line"]].to_dict("records")
    assert lines == [
        {"signed_at": pd.Timestamp("2026-03-10"), "line": "commission"},
        {"signed_at": pd.Timestamp("2026-03-11"), "line": "commission"},
    ]


# -- uploading the same file again ------------------------------------------------------------------


def _week_file(path: Path, replace_in_file: bool = True) -> Path:
    """A workbook with every kind, a rejected row, a warning and (optionally) a deal and a roster row
    replaced by a later row of the same file."""
    roster = [VALID["roster"], {"kam": "李娜", "team": "B组", "start_date": "2026-03-02"}]
    deals = [VALID["deals"], VALID["deals"] | {"phone": P3, "property": "2-202"}]
    if replace_in_file:
        roster.append(roster[1] | {"team": "C组"})
        deals.insert(1, VALID["deals"] | {"status": "退房", "cancelled_at": "2026-03-20"})
    return write_workbook(
        path,
        {
            "roster": roster,
            "registrations": [VALID["registrations"], REJECTED["registrations"]],
            "units": [
                VALID["units"],
                VALID["units"] | {"kam": "李娜", "date": "2026-03-04", "unit_name": "abc 公司"},
            ],
            "leads": [
                VALID["leads"],
                VALID["leads"] | {"kam": "李娜", "reported_at": "2026-03-03 11:00"},
                VALID["leads"] | {"phone": P1, "reported_at": "2026-03-05"},
                REJECTED["leads"],
            ],
            "visits": [VALID["visits"] | {"party_size": "三"}],
            "deals": deals,
        },
    )


@pytest.mark.parametrize(
    "replace_in_file",
    [
        False,
        True,
    ],
    ids=["plain", "key_repeated_in_file"],
)
def test_uploading_the_same_file_twice_changes_no_result(store, compute, tmp_path, replace_in_file):
    path = _week_file(tmp_path / "周报.xlsx", replace_in_file)
    store.ingest(path)
    before, counts = compute(), store.counts()
    again = store.ingest(path)
    assert all(c.accepted == c.duplicates for c in again.sheets)
    assert store.counts() == counts | {"uploads": counts["uploads"] + 1}
    assert_same_results(before, compute())


def test_reuploading_an_older_deal_export_after_the_cancellation_does_not_uncancel_the_deal(
    store, upload, compute
):
    upload("leads", [VALID["leads"]])
    first = upload("deals", [VALID["deals"]])
    upload("deals", [VALID["deals"] | {"status": "退房", "cancelled_at": "2026-03-20"}])
    cancelled = compute(as_of=dt.date(2026, 3, 31)).commissions[["status", "line"]].to_dict("records")
    again = upload(
        "deals", [VALID["deals"]]
    )  # the same export again: a repeat of the first, changing nothing
    assert again.repeat_of == first.upload_id and again.sheets == []
    assert compute(as_of=dt.date(2026, 3, 31)).commissions[["status", "line"]].to_dict("records") == cancelled
    assert {"status": "cancelled"} in [{"status": r["status"]} for r in cancelled]


# -- one transaction per upload ---------------------------------------------------------------------


def test_failure_mid_upload_leaves_the_store_unchanged(store, compute, tmp_path, monkeypatch):
    first = _week_file(tmp_path / "周报.xlsx")
    store.ingest(first)
    before = (store.counts(), store.uploads(), store.upload_sheets(1), store.version())
    results = compute()

    def fail(cur):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module, "_before_commit_hook", fail)
    second = write_workbook(tmp_path / "第二周.xlsx", {"leads": [VALID["leads"] | {"phone": P3}]})
    with pytest.raises(RuntimeError, match="disk full"):
        store.ingest(second)
    assert store.counts() == before[0]
    pd.testing.assert_frame_equal(store.uploads(), before[1])
    pd.testing.assert_frame_equal(store.upload_sheets(1), before[2])
    assert store.upload_sheets(2).empty
    assert store.version() == before[3]
    assert_same_results(results, compute())

    monkeypatch.undo()
    result = store.ingest(second)
    assert (result.upload_id, result.sheets[0].accepted, result.sheets[0].duplicates) == (2, 1, 0)
    assert store.counts()["leads"] == before[0]["leads"] + 1


# -- undo and rebuild -------------------------------------------------------------------------------


def _three_files(folder: Path) -> list[Path]:
    """Three uploads; the third repeats rows of the second (duplicates, a rejected row, a deal's key)."""
    folder.mkdir(exist_ok=True)
    f1 = write_workbook(
        folder / "一.xlsx",
        {"roster": [VALID["roster"]], "leads": [VALID["leads"] | {"phone": P3}], "units": [VALID["units"]]},
    )
    f2 = _week_file(folder / "二.xlsx")
    f3 = write_workbook(
        folder / "三.xlsx",
        {
            "roster": [{"kam": "李娜", "team": "C组", "start_date": "2026-03-02"}],
            "leads": [
                VALID["leads"],
                REJECTED["leads"],
                VALID["leads"] | {"kam": "张敏", "reported_at": "2026-03-06"},
            ],
            "visits": [VALID["visits"] | {"party_size": "三"}],
            "units": [VALID["units"] | {"kam": "李娜", "date": "2026-03-04", "unit_name": "abc 公司"}],
            "deals": [VALID["deals"] | {"status": "退房", "cancelled_at": "2026-03-25"}],
        },
    )
    return [f1, f2, f3]


@pytest.mark.parametrize("undone", [1, 2, 3])
def test_undo_gives_the_results_of_never_having_uploaded_it(store, tmp_path, undone):
    files = _three_files(tmp_path / "files")
    for f in files:
        store.ingest(f)
    store.undo(undone)

    never = Store(tmp_path / "never" / "kam.duckdb")
    try:
        for i, f in enumerate(files, start=1):
            if i != undone:
                never.ingest(f)
        assert_same_results(report.compute(store), report.compute(never), drop=("upload_id",))
        assert _ledger(store) == _ledger(never)
        assert {k: v for k, v in store.counts().items()} == never.counts()
    finally:
        never.close()


def test_undo_restores_rows_a_later_upload_had_as_duplicates(store, tmp_path):
    files = _three_files(tmp_path / "files")
    for f in files:
        store.ingest(f)
    store.undo(2)
    leads = report.compute(store).leads[["kam", "phone", "reported_at", "upload_id", "row_no"]]
    assert leads.to_dict("records") == [
        {
            "kam": "王伟",
            "phone": P3,
            "reported_at": pd.Timestamp("2026-03-03 10:00"),
            "upload_id": 1,
            "row_no": 2,
        },
        {
            "kam": "王伟",
            "phone": P2,
            "reported_at": pd.Timestamp("2026-03-03 10:00"),
            "upload_id": 3,
            "row_no": 2,
        },
        {"kam": "张敏", "phone": P2, "reported_at": pd.Timestamp("2026-03-06"), "upload_id": 3, "row_no": 4},
    ]


def test_rebuild_gives_identical_results(store, tmp_path):
    for f in _three_files(tmp_path / "files"):
        store.ingest(f)
    before, counts, ledger = report.compute(store), store.counts(), store.uploads()
    sheets = [store.upload_sheets(i) for i in (1, 2, 3)]
    assert store.rebuild() == 3
    assert_same_results(before, report.compute(store))
    assert store.counts() == counts
    pd.testing.assert_frame_equal(store.uploads(), ledger)
    for i, frame in zip((1, 2, 3), sheets, strict=True):
        pd.testing.assert_frame_equal(store.upload_sheets(i), frame)


# -- ledger, kept files, schema ---------------------------------------------------------------------


def test_uploads_ledger_holds_file_name_sha256_time_and_per_sheet_counts(store, tmp_path):
    path = _week_file(tmp_path / "周报.xlsx")
    start = dt.datetime.now().replace(microsecond=0)
    result = store.ingest(path, name="第10周 周报.xlsx")
    end = dt.datetime.now()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    [entry] = store.uploads().to_dict("records")
    assert start <= entry.pop("uploaded_at") <= end
    assert entry == {
        "upload_id": 1,
        "file_name": "第10周 周报.xlsx",
        "sha256": sha,
        "data_date": pd.Timestamp(result.data_date),
        "repeat_of": None,
        "superseded": 0,
        "rows_read": 15,
        "accepted": 13,
        "duplicates": 0,
        "rejected": 2,
        "warnings": 1,
    }
    assert (result.file, result.upload_id, result.sha256) == ("第10周 周报.xlsx", 1, sha)
    sheets = store.upload_sheets(1).to_dict("records")
    assert sheets == [
        {"upload_id": 1, "sheet": "大客户经理名单", "kind": "roster", "rows_read": 3, "accepted": 3, "duplicates": 0, "rejected": 0, "warnings": 0, "superseded": 0},
        {"upload_id": 1, "sheet": "客户登记", "kind": "registrations", "rows_read": 2, "accepted": 1, "duplicates": 0, "rejected": 1, "warnings": 0, "superseded": 0},
        {"upload_id": 1, "sheet": "拓展单位", "kind": "units", "rows_read": 2, "accepted": 2, "duplicates": 0, "rejected": 0, "warnings": 0, "superseded": 0},
        {"upload_id": 1, "sheet": "报备", "kind": "leads", "rows_read": 4, "accepted": 3, "duplicates": 0, "rejected": 1, "warnings": 0, "superseded": 0},
        {"upload_id": 1, "sheet": "带访", "kind": "visits", "rows_read": 1, "accepted": 1, "duplicates": 0, "rejected": 0, "warnings": 1, "superseded": 0},
        {"upload_id": 1, "sheet": "成交", "kind": "deals", "rows_read": 3, "accepted": 3, "duplicates": 0, "rejected": 0, "warnings": 0, "superseded": 0},
    ]  # fmt: skip


def test_uploads_ledger_lists_the_newest_first(upload, store):
    upload("leads", [VALID["leads"]])
    upload("units", [VALID["units"]])
    assert store.uploads()[["upload_id", "file_name"]].to_dict("records") == [
        {"upload_id": 2, "file_name": "拓展单位.csv"},
        {"upload_id": 1, "file_name": "报备.csv"},
    ]


@pytest.mark.parametrize("name", ["周报.xlsx", "报备.csv"])
def test_uploaded_file_is_kept_under_uploads_by_its_sha256(store, tmp_path, name):
    path = tmp_path / "in" / name
    path.parent.mkdir()
    if name.endswith(".xlsx"):
        _week_file(path)
    else:
        path.write_text("报备时间,大客户经理,手机号\n2026-03-03,王伟,13800000002\n", encoding="utf-8")
    store.ingest(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    kept = tmp_path / "uploads" / f"{sha}{path.suffix}"
    assert kept.read_bytes() == path.read_bytes()


def test_schema_version_is_recorded_in_the_meta_table(store, tmp_path):
    query = "select value from meta where key = 'schema_version'"
    assert store.cursor().execute(query).fetchall() == [(str(SCHEMA_VERSION),)]
    store.close()
    reopened = Store(tmp_path / "kam.duckdb")
    try:
        assert reopened.cursor().execute(query).fetchall() == [(str(SCHEMA_VERSION),)]
    finally:
        reopened.close()
