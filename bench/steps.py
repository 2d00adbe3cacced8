"""The benchmark's measured steps, each run in its own process by bench/run.py: reads, ingest, compute, export, pages."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

# step -> (group, input set, ratio reference step or None)
STEPS: dict[str, tuple[str, str, str | None]] = {
    "read_fastexcel": ("read", "weeks", None),
    "read_pandas": ("read", "weeks", "read_fastexcel"),
    "read_single_fastexcel": ("read", "single", None),
    "read_single_pandas": ("read", "single", "read_single_fastexcel"),
    "ingest": ("ingest", "weeks", "read_fastexcel"),
    "ingest_single": ("ingest", "single", "read_single_fastexcel"),
    "recompute": ("recompute", "weeks", "read_fastexcel"),
    "recompute_p30": ("recompute", "weeks", "read_fastexcel"),
    "export": ("export", "weeks", "read_fastexcel"),
    "pages": ("pages", "weeks", None),
}
PANDAS_STEPS = {"read_pandas", "read_single_pandas"}
NEEDS_STORE = {"recompute", "recompute_p30", "export", "pages"}
ENGINE_STEPS = {"ingest", "ingest_single", "recompute", "recompute_p30", "export", "pages"}
LANG = "zh"  # the pages' and the export's default language


def peak_rss_mb() -> float:
    """Peak RSS of this process and its children (getrusage ru_maxrss; KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _rss_now_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_step(step: str, files: list[Path], work: Path) -> dict:
    """Run one step on ``files`` (stores and outputs under ``work``): its seconds, peak RSS and step facts."""
    extra: dict = {}
    if step in ("read_fastexcel", "read_single_fastexcel"):
        seconds, extra["rows_read"] = _read_fastexcel(files)
    elif step in PANDAS_STEPS:
        seconds, extra["rows_read"] = _read_pandas(files)
    elif step in ("ingest", "ingest_single"):
        seconds, extra["db_mb"] = _ingest(files, work / f"{'weeks' if step == 'ingest' else 'single'}.duckdb")
    elif step in ("recompute", "recompute_p30"):
        store = _open_store(work)
        t0 = time.perf_counter()
        _compute(store, protection_days=30 if step == "recompute_p30" else 0)
        seconds = time.perf_counter() - t0
        store.close()
    elif step == "export":
        seconds, extra = _export(work)
    elif step == "pages":
        extra["pages"] = _pages(work)
        seconds = sum(p["cold"] for p in extra["pages"])
    else:
        raise SystemExit(f"unknown step {step}")
    return {"status": "ok", "seconds": seconds, "peak_rss_mb": round(peak_rss_mb(), 1), **extra}


def _read_fastexcel(files: list[Path]) -> tuple[float, int]:
    import fastexcel

    t0 = time.perf_counter()
    rows = 0
    for path in files:
        reader = fastexcel.read_excel(path)
        for i in range(len(reader.sheet_names)):
            rows += reader.load_sheet(i, header_row=None, skip_rows=0, dtypes="string").to_arrow().num_rows
    return time.perf_counter() - t0, rows


def _read_pandas(files: list[Path]) -> tuple[float, int]:
    import pandas

    t0 = time.perf_counter()
    rows = 0
    for path in files:
        frames = pandas.read_excel(path, sheet_name=None, engine="openpyxl")
        rows += sum(len(f) + 1 for f in frames.values())
    return time.perf_counter() - t0, rows


def _ingest(files: list[Path], db: Path) -> tuple[float, float | None]:
    from kam_metrics.ingest.store import Store

    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    store = Store(db)
    for path in files:
        store.ingest(path)
    store.close()
    seconds = time.perf_counter() - t0
    return seconds, round(db.stat().st_size / 2**20, 1) if db.exists() else None


def _export(work: Path) -> tuple[float, dict]:
    from kam_metrics.export.workbook import write_workbook

    store = _open_store(work)
    results = _compute(store)
    out = work / "results.xlsx"
    extra = {"rss_before_mb": round(_rss_now_mb(), 1)}
    t0 = time.perf_counter()
    write_workbook(results, out, lang=LANG)
    seconds = time.perf_counter() - t0
    extra["xlsx_mb"] = round(out.stat().st_size / 2**20, 2)
    store.close()
    return seconds, extra


def _open_store(work: Path):
    """The store the untimed ingest of the weekly set prepared (run.py runs it before any NEEDS_STORE step)."""
    from kam_metrics.ingest.store import Store

    db = work / "weeks.duckdb"
    if not db.exists():
        raise FileNotFoundError(f"no ingested store at {db}")
    return Store(db)


def _compute(store, protection_days: int = 0, rules=None):
    from kam_metrics.contract.rules import Rules
    from kam_metrics.engine import report

    if rules is None:
        rules = Rules(protection_days=protection_days) if protection_days else Rules()
    return report.compute(store, rules, as_of=None)


# -- pages ------------------------------------------------------------------------------------------
# Each page's default render, timed cold (first call) and warm (median of 3 more). Streamlit caches the
# Results per data version (dashboard/state.py: st.cache_resource), so the compute is not part of a page.


def _pages(work: Path) -> list[dict]:
    store = _open_store(work)
    results = _compute(store)
    pages = []
    for name, call in page_calls(store, results):
        t0 = time.perf_counter()
        call()
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(3):
            t0 = time.perf_counter()
            call()
            warm.append(time.perf_counter() - t0)
        pages.append({"name": name, "cold": cold, "warm": statistics.median(warm)})
    store.close()
    return pages


def page_calls(store, results) -> list[tuple[str, Callable[[], object]]]:
    """(page, call): what every page reads from the store, then each page's presentation call."""

    def common():  # the sidebar and banner of every page: uploads ledger and data version
        return store.uploads(), store.version()

    from kam_metrics.present import PAGES, customer, upload, weekly

    calls = [("common", common)]
    calls += [(name, (lambda render=render: render(results, LANG))) for name, render in PAGES.items()]
    # The upload page shows the ledger; the drill-downs a director opens most: a KAM-week and a customer.
    calls.append(("upload+ledger", lambda: upload.view(results, LANG, uploads=store.uploads())))
    default = weekly.view(results, LANG)
    if default.kams and default.weeks:
        kam, week = default.kams[0], default.weeks[-1]
        calls.append(("weekly+kam_week", lambda: weekly.view(results, LANG, kam=kam, week=week)))
    if len(results.leads):
        phone = results.leads["phone"].iloc[len(results.leads) // 2]
        calls.append(("customer+story", lambda: customer.view(results, LANG, phone=phone)))
    return calls
