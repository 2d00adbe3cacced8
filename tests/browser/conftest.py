"""The real-browser tests' shared fixture: one Chromium per test module (skipped without it, unless CI=true)."""

from __future__ import annotations

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, require_browser


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
