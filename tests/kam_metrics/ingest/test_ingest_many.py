"""Store.ingest_many / many.ingest_each: files land in order, each in its own transaction, exactly as one
Store.ingest after another; an unreadable file is reported and the others still land. And the ledger's
highest upload id, read incrementally, is the one a full read gives (ids are never reused)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kam_metrics.ingest import many
from kam_metrics.ingest import store as store_module
from kam_metrics.ingest.files import Ledger
from kam_metrics.ingest.many import ingest_each
from kam_metrics.ingest.reader import UnreadableFile
from kam_metrics.ingest.store import Store
from tests.kam_metrics.ingest.test_store import _three_files

TABLES = (
    "roster",
    "registrations",
    "units",
    "leads",
    "visits",
    "deals",
    "rejected",
    "warnings",
    "upload_sheets",
)


def _tables(store: Store) -> dict[str, pd.DataFrame]:
    cur = store.cursor()
    out = {t: cur.execute(f"select * from {t} order by all").df() for t in TABLES}
    out["uploads"] = cur.execute(
        "select upload_id, file_name, sha256, stored_path, data_date, repeat_of, notes from uploads order by 1"
    ).df()
    return out


def _files(tmp_path: Path) -> list[Path]:
    files = _three_files(tmp_path / "in")
    return [*files, files[1]]  # the second again: a repeat


@pytest.fixture(params=["in line", "threaded"])
def mode(request, monkeypatch):
    """Small files are read in the calling thread; PIPELINE_MIN_BYTES 0 reads every file in the background."""
    if request.param == "threaded":
        monkeypatch.setattr(many, "PIPELINE_MIN_BYTES", 0)
    return request.param


def test_ingest_many_stores_what_one_ingest_after_another_stores(tmp_path, mode):
    files = _files(tmp_path)
    one = Store(tmp_path / "one" / "kam.duckdb")
    expected = [one.ingest(f) for f in files]
    many = Store(tmp_path / "many" / "kam.duckdb")
    got = many.ingest_many(files)
    assert [(r.upload_id, r.file, r.data_date, r.repeat_of) for r in got] == [
        (r.upload_id, r.file, r.data_date, r.repeat_of) for r in expected
    ]
    assert [r.sheets for r in got] == [r.sheets for r in expected]
    assert [r.rejected for r in got] == [r.rejected for r in expected]
    assert got[3].repeat_of == 2 and got[3].sheets == []
    a, b = _tables(one), _tables(many)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    assert sorted(p.name for p in (tmp_path / "many" / "uploads").iterdir()) == sorted(
        p.name for p in (tmp_path / "one" / "uploads").iterdir()
    )
    one.close()
    many.close()


def test_an_unreadable_file_is_reported_and_the_others_land_in_order(tmp_path, mode):
    files = _three_files(tmp_path / "in")
    broken = tmp_path / "in" / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    store = Store(tmp_path / "s" / "kam.duckdb")
    outcomes = list(ingest_each(store, [files[0], broken, files[1], files[2]]))
    assert [p for p, _ in outcomes] == [files[0], broken, files[1], files[2]]
    assert isinstance(outcomes[1][1], UnreadableFile) and outcomes[1][1].code == "corrupt"
    assert [o.upload_id for _, o in outcomes if not isinstance(o, Exception)] == [1, 2, 3]
    assert store.uploads()["file_name"].tolist() == ["三.xlsx", "二.xlsx", "一.xlsx"]
    assert len(store.ingest_many([broken])) == 0
    store.close()


def test_a_failure_while_storing_one_file_leaves_only_that_file_out(tmp_path, monkeypatch, mode):
    files = _three_files(tmp_path / "in")
    store = Store(tmp_path / "s" / "kam.duckdb")
    calls = []

    def fail_second(cur):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected")

    monkeypatch.setattr(store_module, "_before_commit_hook", fail_second)
    outcomes = list(ingest_each(store, files))
    assert isinstance(outcomes[1][1], RuntimeError)
    assert store.uploads()["file_name"].tolist() == ["三.xlsx", "一.xlsx"]
    # The rolled-back upload used no id: the third file is upload 2, and only its sheets are stored under it.
    assert sorted(store.uploads()["upload_id"]) == [1, 2]
    assert store.upload_sheets(2)["sheet"].tolist() == ["大客户经理名单", "报备", "带访", "拓展单位", "成交"]
    store.close()


def test_progress_goes_from_the_first_file_to_done(tmp_path):
    files = _three_files(tmp_path / "in")
    store = Store(tmp_path / "s" / "kam.duckdb")
    seen: list[tuple[float, str]] = []
    store.ingest_many(files, progress=lambda f, text: seen.append((f, text)))
    assert seen[-1] == (1.0, "")
    assert {text for _, text in seen[:-1]} == {f.name for f in files}
    assert all(0.0 <= f <= 1.0 for f, _ in seen)
    store.close()


def test_the_cli_ingest_command_reports_each_file_in_order(tmp_path, capsys):
    from kam_metrics import cli

    files = _three_files(tmp_path / "in")
    broken = tmp_path / "in" / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    code = cli.main(
        ["ingest", "--db", str(tmp_path / "kam.duckdb"), str(files[0]), str(broken), str(files[1])]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert str(broken) in err and str(files[0]) not in err
    assert 0 <= out.index(files[0].name) < out.index(files[1].name)
    assert broken.name not in out


def _append_raw(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def test_ledger_max_id_follows_appends_torn_lines_and_a_replaced_file(tmp_path):
    ledger = Ledger(tmp_path / "uploads")
    assert ledger.max_upload_id() == 0
    ledger.append({"op": "upload", "upload_id": 3}, {"op": "pending", "stored": "x"})
    assert ledger.max_upload_id() == 3
    _append_raw(ledger.path, '{"op": "upload", "upload_id": 9')  # a line being written (or torn by a kill)
    assert ledger.max_upload_id() == 3
    _append_raw(ledger.path, "}\n")  # the writer finished the line
    assert ledger.max_upload_id() == 9
    ledger.append({"op": "undo", "upload_id": 12})  # an undone id is still used
    assert ledger.max_upload_id() == 12
    ledger.path.unlink()
    ledger.path.write_text(json.dumps({"op": "upload", "upload_id": 2}) + "\n")  # replaced (a restore)
    assert ledger.max_upload_id() == 2
    assert ledger.max_upload_id() == max(int(r["upload_id"]) for r in ledger.records() if "upload_id" in r)


def test_upload_ids_are_never_reused_after_an_undo_with_the_ledger_read_once(tmp_path):
    files = _three_files(tmp_path / "in")
    store = Store(tmp_path / "s" / "kam.duckdb")
    store.ingest_many(files[:2])
    store.undo(2)
    assert store.ingest(files[2]).upload_id == 3
    store.close()


@pytest.mark.parametrize("count", [0, 1])
def test_ingest_many_of_no_file_or_one(tmp_path, count):
    files = _three_files(tmp_path / "in")[:count]
    store = Store(tmp_path / "s" / "kam.duckdb")
    assert [r.upload_id for r in store.ingest_many(files)] == list(range(1, count + 1))
    store.close()


def test_the_next_files_pending_record_goes_with_the_upload_record_before_its_copy(
    tmp_path, monkeypatch, mode
):
    files = _three_files(tmp_path / "in")
    store = Store(tmp_path / "s" / "kam.duckdb")
    writes: list[list[str]] = []
    original = Ledger.append

    def counted(self, *records):
        writes.append([r.get("op", "upload") for r in records])
        return original(self, *records)

    monkeypatch.setattr(Ledger, "append", counted)
    store.ingest_many(files)
    assert writes == [["pending"], ["upload", "pending"], ["upload", "pending"], ["upload"]]
    ops = [(r["op"], r.get("stored"), r.get("upload_id")) for r in store.ledger.records()]
    kept = [
        store.cursor().execute("select stored_path from uploads where upload_id = ?", [i]).fetchall()[0][0]
        for i in (1, 2, 3)
    ]
    assert ops == [
        ("pending", kept[0], None),
        ("upload", kept[0], 1),
        ("pending", kept[1], None),
        ("upload", kept[1], 2),
        ("pending", kept[2], None),
        ("upload", kept[2], 3),
    ]
    store.close()


def test_a_crash_before_the_second_commit_leaves_an_orphan_the_next_open_sweeps(tmp_path, monkeypatch):
    files = _three_files(tmp_path / "in")
    db = tmp_path / "s" / "kam.duckdb"
    store = Store(db)
    calls = []

    def crash_second(cur):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stands in for a kill: nothing after it runs

    monkeypatch.setattr(store_module, "_before_commit_hook", crash_second)
    monkeypatch.setattr(Store, "_drop_orphan", lambda self, stored: None)  # a kill removes nothing
    with pytest.raises(KeyboardInterrupt):
        store.ingest_many(files)
    store.close()
    monkeypatch.undo()
    kept = {p.name for p in (tmp_path / "s" / "uploads").iterdir() if p.suffix == ".xlsx"}
    assert len(kept) == 2  # the first upload's copy and the second's, never committed
    reopened = Store(db)
    assert reopened.uploads()["file_name"].tolist() == ["一.xlsx"]
    first = reopened.cursor().execute("select stored_path from uploads").fetchall()[0][0]
    assert {p.name for p in (tmp_path / "s" / "uploads").iterdir() if p.suffix == ".xlsx"} == {first}
    reopened.close()
