"""Upload → refreshed overview in a real browser (issue 14): a store holding the sample's weeks 1–11, its week 12
uploaded through the upload page's file input, then the overview until it shows week 12's data.

The wall time from choosing the file to the refreshed overview is written to bench/.cache/browser-upload.json
(bench/run.py puts it in the targets table) and printed; it is never asserted (speed is measured, not tested).
What the overview must show is computed here from the workbooks' own cells, not from the product."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from bench.report import BROWSER_UPLOAD
from dashboard.widgets import PRELOAD_CHARTS
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store
from tests.browser.support import ROOT, SLOW, open_page, serving, wait_idle

pytestmark = pytest.mark.browser

SAMPLE = sorted((ROOT / "data" / "sample").glob("*.xlsx"))  # 2026-W37 … 2026-W48: twelve weekly files
WEEKS_1_11, WEEK_12 = SAMPLE[:11], SAMPLE[11]
# SPEC §4: as_of is the latest date among registrations, units, leads, visits, deals' signed_at and cancelled_at.
DATE_HEADERS = {"登记时间", "拓展日期", "报备时间", "到访时间", "成交日期", "退房日期"}
DATE_TEXT = re.compile(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def latest_date(path: Path) -> dt.date:
    """The latest date in any of the dated columns of a workbook, read cell by cell with openpyxl (a sheet's
    header row is the first row naming one of those columns: 客户登记 has a title row above it)."""
    from openpyxl import load_workbook

    best = None
    book = load_workbook(path, read_only=True)
    for sheet in book.worksheets:
        columns = None
        for row in sheet.iter_rows(values_only=True):
            if columns is None:
                columns = [i for i, v in enumerate(row) if isinstance(v, str) and v.strip() in DATE_HEADERS]
                columns = columns or None
                continue
            for i in columns:
                value = row[i] if i < len(row) else None
                if isinstance(value, dt.datetime):
                    value = value.date()
                elif isinstance(value, str) and (m := DATE_TEXT.match(value)):
                    value = dt.date(*map(int, m.groups()))
                if isinstance(value, dt.date) and (best is None or value > best):
                    best = value
    book.close()
    assert best is not None, path
    return best


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "kam_metrics", "dashboard", "app_pages", "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() + (" (uncommitted changes)" if dirty.stdout.strip() else "")


def test_uploading_the_samples_week_12_refreshes_the_overview_and_the_time_is_recorded(page, tmp_path):
    before = max(latest_date(p) for p in WEEKS_1_11)
    after = max(latest_date(p) for p in SAMPLE)
    assert after > before  # week 12 moves the data date: the figure the overview must refresh
    in_progress = after.weekday() != 6  # not a Sunday: week 12's week is shown in progress, one click away
    assert in_progress

    folder = tmp_path / "server"
    folder.mkdir()
    store = Store(folder / "kam.duckdb")
    for path in WEEKS_1_11:
        store.ingest(path)
    store.close()

    def note(day: dt.date) -> str:
        return t("ui.overview.funnel_note", "zh", date=f"{day:%Y-%m-%d}")

    current = page.get_by_role("button", name=t("ui.overview.show_current", "zh"))
    with serving(folder) as server:
        # The overview before: weeks 1–11 only (and its results computed, as on a director's open dashboard).
        open_page(page, server, "/")
        page.get_by_text(note(before)).wait_for(timeout=SLOW)
        assert current.count() == 0

        open_page(page, server, "/upload")
        # The page fully drawn, as before any director's choice of a file: its hidden chart (which loads the
        # chart library for the overview, dashboard.widgets.preload_charts) drawn too.
        page.locator(f".st-key-{PRELOAD_CHARTS} .main-svg").first.wait_for(state="attached", timeout=SLOW)
        started = time.perf_counter()
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(WEEK_12))
        summary = page.locator("[data-testid='stMarkdownContainer']").filter(has_text=f"{WEEK_12.name}：")
        summary.first.wait_for(timeout=SLOW)
        wait_idle(page)
        uploaded = time.perf_counter() - started  # the upload page done: the file stored, its outcome shown
        nav = page.locator("[data-testid='stSidebarNavLink']").filter(has_text=t("ui.page.overview", "zh"))
        nav.first.click()
        page.get_by_text(note(after)).wait_for(timeout=SLOW)
        wait_idle(page)
        seconds = time.perf_counter() - started

        assert page.get_by_text(note(before)).count() == 0
        assert current.count() == 1  # week 12's week, in progress
        assert server.proc.poll() is None, server.log_tail()

    measured = {
        "seconds": round(seconds, 3),
        "upload_seconds": round(uploaded, 3),
        "overview_seconds": round(seconds - uploaded, 3),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "file": WEEK_12.name,
        "load_average_1min": round(os.getloadavg()[0], 2),  # a shared machine: how busy it was
    }
    BROWSER_UPLOAD.parent.mkdir(parents=True, exist_ok=True)
    BROWSER_UPLOAD.write_text(json.dumps(measured, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        f"upload → refreshed overview: {seconds:.2f} s ({uploaded:.2f} s upload page, {seconds - uploaded:.2f} s "
        f"overview; {WEEK_12.name}); wrote {BROWSER_UPLOAD}"
    )
