"""Properties: results depend on the stored rows, not on how they were split into uploads (SPEC §2, §3)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.ingest.store import Store

BASE = dt.datetime(2026, 11, 2, 8, 0)  # Monday of 2026-W45
KAMS = ("张三", "李四", "王五")
PHONES = tuple(f"1380000000{i}" for i in range(1, 5))
NAMES = (None, "王先生", "王伟", "李娜")
SALESPEOPLE = (None, "李销售")
PROVENANCE = ["upload_id", "row_no", "sheet", "k"]

# One row: (kind, minute offset from BASE, kam, phone, customer_name, salesperson).
# Minute offsets are unique across all rows, so no two rows share a timestamp.
row_strategy = st.tuples(
    st.sampled_from(("leads", "visits", "registrations")),
    st.integers(0, 60 * 24 * 13),  # two weeks
    st.sampled_from(KAMS),
    st.sampled_from(PHONES),
    st.sampled_from(NAMES),
    st.sampled_from(SALESPEOPLE),
)


def as_record(row) -> tuple[str, dict]:
    kind, minute, kam, phone, name, salesperson = row
    when = (BASE + dt.timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M")
    if kind == "leads":
        return kind, {"reported_at": when, "kam": kam, "phone": phone, "customer_name": name}
    if kind == "visits":
        return kind, {
            "visited_at": when,
            "kam": kam,
            "phone": phone,
            "customer_name": name,
            "salesperson": salesperson,
        }
    return kind, {"registered_at": when, "phone": phone, "customer_name": name, "salesperson": salesperson}


def write_workbook(path: Path, rows: list) -> Path:
    """One upload: a workbook with a sheet per kind present, canonical Chinese headers, text cells."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    by_kind: dict[str, list[dict]] = {}
    for row in rows:
        kind, record = as_record(row)
        by_kind.setdefault(kind, []).append(record)
    for kind, records in by_kind.items():
        fields = [f for f in KINDS[kind].fields if any(f.name in r for r in records)]
        ws = wb.create_sheet(KINDS[kind].aliases[0])
        ws.append([f.canonical for f in fields])
        for r in records:
            ws.append([r.get(f.name) for f in fields])
    wb.save(path)
    return path


def results_of(folder: Path, uploads: list[list]) -> dict[str, pd.DataFrame]:
    store = Store(folder / "kam.duckdb")
    try:
        for i, rows in enumerate(uploads):
            store.ingest(write_workbook(folder / f"upload{i}.xlsx", rows))
        results = report.compute(store)
    finally:
        store.close()
    return {
        "summary": results.summary.sort_values("kam").reset_index(drop=True),
        "weekly": results.weekly.sort_values(["kam", "week_start"]).reset_index(drop=True),
        "leads": results.leads.drop(columns=PROVENANCE).sort_values("reported_at").reset_index(drop=True),
        "visits": results.visits.drop(columns=PROVENANCE).sort_values("visited_at").reset_index(drop=True),
    }


@st.composite
def split_rows(draw):
    """(all rows, the same rows split into 1–4 uploads in a random order, rows shuffled within uploads)."""
    rows = draw(st.lists(row_strategy, min_size=1, max_size=14, unique_by=lambda r: r[1]))
    n = draw(st.integers(1, 4))
    assignment = draw(st.lists(st.integers(0, n - 1), min_size=len(rows), max_size=len(rows)))
    uploads = [[r for r, a in zip(rows, assignment, strict=True) if a == i] for i in range(n)]
    uploads = [draw(st.permutations(u)) for u in uploads if u]
    order = draw(st.permutations(range(len(uploads))))
    return rows, [uploads[i] for i in order]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(split_rows())
def test_the_same_rows_split_differently_across_uploads_give_the_same_results(split):
    rows, uploads = split
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
        expected = results_of(Path(one), [rows])
        actual = results_of(Path(many), uploads)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(actual[name], frame, obj=name)
