"""Deep links in a real browser: for every page, a fresh server whose FIRST request is that page's address.

Streamlit runs a page from a folder named ``pages/`` on its own (without app.py) on such a first request;
the pages live in app_pages/ so app.py always routes. Each page must come up with its own title and the
sidebar (language switch and every page's link), with no error on it.
"""

from __future__ import annotations

import shutil

import pytest

from kam_metrics.access import roles
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store
from kam_metrics.present import sample
from tests.browser.support import SLOW, VIEWPORT, Server, wait_idle

pytestmark = pytest.mark.browser

PAGES = {
    "/": "overview",
    "/weekly": "weekly",
    "/attribution": "attribution",
    "/commissions": "commissions",
    "/upload": "upload",
    "/rules": "rules",
}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, browser):
    store = Store(tmp_path_factory.mktemp("deep-link-sample") / "kam.duckdb")
    sample.load_sample(store)
    store.cursor().execute("CHECKPOINT")
    store.close()
    return store.path


@pytest.mark.parametrize("path", list(PAGES))
def test_a_deep_link_as_the_first_request_after_a_server_start_opens_that_page_with_the_sidebar(
    path, browser, sample_db, tmp_path
):
    from playwright.sync_api import expect

    server = Server(tmp_path)
    shutil.copy(sample_db, server.db)
    server.start()
    try:
        server.wait_listening()
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(server.url + path, wait_until="domcontentloaded")
        heading = page.locator("h1").first
        heading.wait_for(timeout=SLOW)
        wait_idle(page)
        expect(heading).to_have_text(t(f"ui.page.{PAGES[path]}", "zh"))
        sidebar = page.locator("[data-testid='stSidebar']")
        links = sidebar.locator("[data-testid='stSidebarNavLink']")
        expect(links).to_have_count(len(roles.PAGES[roles.DIRECTOR]))  # local mode: the director's pages
        expect(sidebar).to_contain_text(t("ui.sidebar.lang", "zh"))
        expect(sidebar).to_contain_text(t("ui.sidebar.as_of", "zh"))  # the sidebar of app.py, with data
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.url.rstrip("/").endswith(path.rstrip("/"))
        page.close()
    finally:
        server.stop()
