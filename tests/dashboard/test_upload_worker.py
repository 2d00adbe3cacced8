"""dashboard.upload_worker: the upload page's ingest through a worker process gives the same outcome as the
in-server ingest, reports progress, keeps a name too long for the file system, and refuses what the store
cannot take."""

from __future__ import annotations

import sys
import types

import pytest

from dashboard import upload_worker
from kam_metrics.ingest import store as store_module
from kam_metrics.ingest.faults import StoreError
from kam_metrics.ingest.store import Store
from kam_metrics.present import upload
from tests.helpers import write_csv

LEADS = [
    {"reported_at": "2026-09-08 10:00", "kam": "王伟", "customer_name": "王先生", "phone": "13812345678"},
    {"reported_at": "2026-09-08 11:00", "kam": "王伟", "customer_name": "李先生", "phone": "139123"},
    {"reported_at": "2026-09-09 09:30", "kam": "李娜", "customer_name": "赵女士", "phone": "13912345678"},
]
WORKER = 0  # in_process_bytes: every file goes to the worker process


def _counts(outcome) -> list[tuple]:
    return [
        (c.sheet, c.kind, c.read, c.accepted, c.duplicates, c.rejected, c.warnings)
        for c in outcome.result.sheets
    ]


def _leads(store: Store) -> list[tuple]:
    return store.cursor().execute("select kam, phone, reported_at from leads order by row_no").fetchall()


@pytest.fixture
def data(tmp_path) -> bytes:
    return write_csv(tmp_path / "报备.csv", "leads", LEADS).read_bytes()


def test_an_upload_through_the_worker_stores_what_the_server_itself_would(tmp_path, data):
    here, there = Store(tmp_path / "a" / "kam.duckdb"), Store(tmp_path / "b" / "kam.duckdb")
    try:
        progress: list[tuple[float, str]] = []
        by_worker = upload_worker.try_ingest(
            there, "报备.csv", data, lambda f, s: progress.append((f, s)), WORKER
        )
        in_server = upload.try_ingest(here, "报备.csv", data)
        assert by_worker.error_code is None and by_worker.file == "报备.csv"
        assert _counts(by_worker) == _counts(in_server) == [("报备", "leads", 3, 2, 0, 1, 0)]
        assert (
            [r["row"] for r in by_worker.result.rejected]
            == [r["row"] for r in in_server.result.rejected]
            == [3]
        )
        assert _leads(there) == _leads(here) and len(_leads(there)) == 2
        assert list(there.uploads()["file_name"]) == ["报备.csv"]
        assert progress and progress[-1][0] <= 1.0 and all(s == "报备" for _, s in progress)
    finally:
        here.close()
        there.close()


def test_a_small_file_is_read_in_the_server_without_a_worker(tmp_path, data, monkeypatch):
    def no_worker(*args, **kwargs):
        raise AssertionError("a small file must not start a worker process")

    monkeypatch.setattr(upload_worker, "ingest_in_process", no_worker)
    store = Store(tmp_path / "kam.duckdb")
    try:
        outcome = upload_worker.try_ingest(store, "报备.csv", data)
        assert _counts(outcome) == [("报备", "leads", 3, 2, 0, 1, 0)]
    finally:
        store.close()


def test_a_file_nothing_of_which_can_be_read_is_an_outcome_and_stores_nothing(tmp_path):
    store = Store(tmp_path / "kam.duckdb")
    try:
        outcome = upload_worker.try_ingest(store, "周报.xlsx", b"this is not a workbook" * 100, None, WORKER)
        assert (outcome.result, outcome.file) == (None, "周报.xlsx")
        assert (
            outcome.error_code
            == upload.try_ingest(store, "周报.xlsx", b"this is not a workbook" * 100).error_code
        )
        assert outcome.error_code is not None
        assert store.uploads().empty
        left = [p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file() and p.name != "ledger.jsonl"]
        assert left == []  # no kept copy, no temp file
    finally:
        store.close()


def test_a_name_longer_than_the_file_system_allows_is_stored_under_its_full_name(tmp_path, data):
    name = "二〇二六年第三十七周" * 10 + "报备.csv"  # 102 characters, 306 bytes in UTF-8
    assert len(name.encode()) > 255
    store = Store(tmp_path / "kam.duckdb")
    try:
        outcome = upload_worker.try_ingest(store, name, data, None, WORKER)
        assert outcome.result is not None and outcome.file == name
        assert list(store.uploads()["file_name"]) == [name]
    finally:
        store.close()


def test_a_read_only_store_refuses_the_upload_with_its_store_error(tmp_path, data, monkeypatch):
    Store(tmp_path / "kam.duckdb").close()
    monkeypatch.setattr(store_module, "_writable", lambda p: False)
    store = Store(tmp_path / "kam.duckdb")
    try:
        assert store.read_only
        with pytest.raises(StoreError) as refused:
            upload_worker.try_ingest(store, "报备.csv", data, None, WORKER)
        assert refused.value.code == "read_only"
        assert store.uploads().empty
    finally:
        store.close()


def test_the_worker_does_not_run_the_servers_main_script_again(tmp_path, data, monkeypatch):
    """Under Streamlit __main__ is the app script (its script runner installs it); spawn must not re-run it."""
    marker = tmp_path / "app-ran"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    app = types.ModuleType("__main__")
    app.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", app)
    store = Store(tmp_path / "kam.duckdb")
    try:
        outcome = upload_worker.try_ingest(store, "报备.csv", data, None, WORKER)
        assert _counts(outcome) == [("报备", "leads", 3, 2, 0, 1, 0)]
        assert not marker.exists()
        assert sys.modules["__main__"] is app  # put back after the start
    finally:
        store.close()
