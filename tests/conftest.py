"""Shared fixtures: a real DuckDB store in a temp folder, and a helper that uploads rows as a real CSV file."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from kam_metrics.contract.rules import rules_from_dict
from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.ingest.store import Store
from tests.helpers import write_csv

_counter = itertools.count(1)


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "kam.duckdb")
    yield s
    s.close()


@pytest.fixture
def upload(store, tmp_path: Path):
    """upload(kind, rows) → IngestResult: writes rows to a CSV named after the kind and ingests it."""

    def _upload(kind: str, rows: list[dict]):
        folder = tmp_path / f"upload{next(_counter)}"
        folder.mkdir()
        path = write_csv(folder / f"{KINDS[kind].aliases[0]}.csv", kind, rows)
        return store.ingest(path)

    return _upload


@pytest.fixture
def compute(store):
    """compute(as_of=None, **rules) → Results of the store under rules given as a (nested) dict."""

    def _compute(as_of=None, **rules):
        return report.compute(store, rules_from_dict(rules), as_of)

    return _compute
