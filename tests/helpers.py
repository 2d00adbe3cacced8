"""Helpers shared by the tests: a real CSV file as a director would save it."""

from __future__ import annotations

import csv
from pathlib import Path

from kam_metrics.contract.sheets import KINDS


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
