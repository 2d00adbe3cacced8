"""Shared fixtures: a real DuckDB store in a temp folder, and a helper that uploads rows as a real CSV file."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest

from kam_metrics import report
from kam_metrics.rules import rules_from_dict
from kam_metrics.schema import KINDS
from kam_metrics.store import Store

_counter = itertools.count(1)


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "kam.duckdb")
    yield s
    s.close()


def write_csv(path: Path, kind: str, rows: list[dict]) -> Path:
    """A CSV as a director would save it: canonical Chinese headers of ``kind``, one row per dict.

    Dict keys are field names (``phone``, ``reported_at``…); values are written as given (text).
    """
    fields = [f for f in KINDS[kind].fields if any(f.name in r for r in rows)] or list(KINDS[kind].fields)
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow([fld.canonical for fld in fields])
        for r in rows:
            w.writerow(["" if r.get(fld.name) is None else r.get(fld.name) for fld in fields])
    return path


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
