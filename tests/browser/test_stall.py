"""One upload must not stall the others (issue 11 item 5), measured in a real browser: while one session
uploads Excel's maximum workbook (1,048,575 leads) through the upload page, another session loads the
overview again and again; every load's time is recorded.

The figures are reported (printed, and written to /tmp/kam_metrics_stall.json), never asserted: they depend
on the machine and its load. The test asserts only that both sessions finish without an error box.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

import pytest

from kam_metrics.ingest.store import Store
from kam_metrics.present import sample
from tests.browser.support import ROOT, SLOW, VIEWPORT, Server, open_page, serving, wait_idle
from tests.data.bad.make_corpus import EXCEL_MAX_ROWS, max_rows

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # A measurement, not a pass/fail test (targets are reported in docs/, never asserted): it uploads Excel's
    # largest workbook through the page for minutes, so it runs when asked for, e.g. after a change to uploads.
    pytest.mark.skipif(
        os.environ.get("KAM_MEASURE_STALL") != "1",
        reason="the upload-stall measurement runs with KAM_MEASURE_STALL=1 (it takes minutes)",
    ),
]

REPORT = Path("/tmp/kam_metrics_stall.json")
UPLOAD_TIMEOUT = 900  # s: the upload itself, on a busy 2-core machine
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    folder = tmp_path_factory.mktemp("stall")
    store = Store(folder / "kam.duckdb")
    sample.load_sample(store)  # the other session's overview shows real results, as in use
    store.close()
    with serving(folder) as server:
        yield server


def _load(page, server: Server) -> float:
    """Seconds from asking for the overview (a fresh session) until its first run has finished."""
    start = time.monotonic()
    open_page(page, server, "/")
    page.locator("[data-testid='stMetric']").first.wait_for(timeout=SLOW * 10)
    return time.monotonic() - start


def _errors(page) -> list[str]:
    return [e.inner_text() for e in page.locator(ERRORS).all()]


@pytest.mark.timeout(1800)
def test_another_sessions_page_loads_during_a_million_row_upload_are_measured(browser, server, tmp_path):
    t0 = time.monotonic()
    big = tmp_path / max_rows(tmp_path).name
    built = time.monotonic() - t0
    uploader = browser.new_context(viewport=VIEWPORT).new_page()
    viewer = browser.new_context(viewport=VIEWPORT).new_page()
    _load(viewer, server)  # the results are computed once, as any first visitor does
    baseline = [_load(viewer, server) for _ in range(3)]

    open_page(uploader, server, "/upload")
    started = time.monotonic()
    uploader.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(big))
    summary = uploader.locator("[data-testid='stMarkdownContainer']").filter(has_text=big.name)
    summary = summary.filter(has_text=re.compile(r"1,?048,?575"))  # the rows read, however grouped
    during: list[float] = []
    straddling: list[float] = []
    while summary.count() == 0:
        if time.monotonic() - started > UPLOAD_TIMEOUT:
            pytest.fail(f"the upload did not finish in {UPLOAD_TIMEOUT} s: {_errors(uploader)}")
        seconds = _load(viewer, server)
        assert _errors(viewer) == [], (
            f"the viewer saw an error box during the upload (load {len(during) + 1})"
        )
        (during if summary.count() == 0 else straddling).append(seconds)
    upload_seconds = time.monotonic() - started
    wait_idle(uploader)
    after = _load(viewer, server)  # the first load on the new data recomputes the results

    figures = {
        "rows": EXCEL_MAX_ROWS - 1,
        "file_bytes": big.stat().st_size,
        "file_built_s": round(built, 1),
        "upload_page_uses_worker": "upload_worker" in (ROOT / "app_pages" / "upload.py").read_text("utf-8"),
        "upload_s": round(upload_seconds, 1),
        "baseline_load_s": [round(s, 2) for s in baseline],
        "loads_during_upload": len(during),
        "worst_load_during_upload_s": round(max(during), 2) if during else None,
        "median_load_during_upload_s": round(statistics.median(during), 2) if during else None,
        "loads_during_upload_s": [round(s, 2) for s in during],
        "load_straddling_the_end_s": [round(s, 2) for s in straddling],
        "first_load_after_upload_s": round(after, 2),
    }
    REPORT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("\nstall measurement:", json.dumps(figures, indent=2), sep="\n")

    assert _errors(uploader) == [] and _errors(viewer) == []
    assert during or straddling, "the viewer loaded no page while the upload ran"
    uploader.context.close()
    viewer.context.close()
