"""The real-browser tests' shared fixtures: one Chromium per test module (skipped without it, unless CI=true), and
the bundled sample in a store of this process with a server on a copy of it."""

from __future__ import annotations

import pytest

from kam_metrics.engine import report
from kam_metrics.ingest.store import Store
from kam_metrics.present import sample
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, SLOW, VIEWPORT, require_browser, serving


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh Chinese browser page at the screenshots' size (a module may define its own ``page``)."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    ctx.set_default_timeout(SLOW)
    p = ctx.new_page()
    yield p
    ctx.close()


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory, browser):
    """The bundled sample in a store of this process, and the engine's results on it (default rules): what a
    test checks the screen against."""
    store = Store(tmp_path_factory.mktemp("engine") / "kam.duckdb")
    sample.load_sample(store)
    yield store, report.compute(store)
    store.close()


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory, sample_engine):
    """A server on a copy of ``sample_engine``'s store."""
    store, _ = sample_engine
    store.cursor().execute("CHECKPOINT")  # the copy must hold every row
    with serving(tmp_path_factory.mktemp("sample-server"), store.path) as server:
        yield server
