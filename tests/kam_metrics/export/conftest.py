"""Shared data of the export tests: the results of test_workbook's DATA plus leads with text to escape."""

from __future__ import annotations

import pytest

from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.ingest.store import Store
from tests.helpers import write_csv
from tests.kam_metrics.export.test_workbook import DATA

# Text that needs escaping or whitespace kept, beside the formula-like text of test_export's DATA.
ODD = [
    {
        "reported_at": "2026-11-09 08:00",
        "kam": "王五",
        "phone": "13600000001",
        "customer_name": 'a&b <c> "d"',
    },
    {"reported_at": "2026-11-09", "kam": "王五", "phone": "13600000002", "customer_name": "Tom  O'Neil"},
    {"reported_at": "2026-11-10 23:59:59", "kam": "王五", "phone": "13600000003", "customer_name": None},
]


@pytest.fixture(scope="session")
def mixed_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export_bulk")
    store = Store(folder / "kam.duckdb")
    for i, (kind, rows) in enumerate([*DATA, ("leads", ODD)]):
        sub = folder / f"u{i}"
        sub.mkdir()
        store.ingest(write_csv(sub / f"{KINDS[kind].aliases[0]}.csv", kind, rows))
    yield report.compute(store)
    store.close()
