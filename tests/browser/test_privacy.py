"""Privacy in a real browser: no page of the dashboard shows a customer's full mobile number.

Starts `streamlit run app.py` on a store pre-loaded with the bundled sample, opens every page in Debian's
chromium (Playwright), in Chinese and English, plus the drill-downs that show one customer, one KAM-week and
one KAM's deals, and scans the rendered text (the DOM's text, which holds the data grids' visible cells and
the charts' labels) for an unmasked 11-digit mobile number. Skipped when /usr/bin/chromium is missing, unless
CI=true (then it fails).
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, Server, require_browser

# A mainland mobile number, also written with spaces or dashes (138 0000 0001, 138-0000-0001).
UNMASKED = re.compile(r"(?<!\d)1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}(?!\d)")
MASKED = re.compile(r"(?<!\d)1[3-9]\d\*{4}\d{4}(?!\d)")

# Every text node on its own line (a table's cells run together in textContent, so a phone next to a
# number in the previous cell would hide from a digit-bounded search), plus titles and aria labels.
TEXT_JS = """() => {
  const out = [document.body.innerText];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) out.push(walker.currentNode.nodeValue);
  for (const el of document.querySelectorAll('[title], [aria-label]'))
    out.push(el.getAttribute('title') || '', el.getAttribute('aria-label') || '');
  return out.join('\\n');
}"""

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    require_browser()
    folder = tmp_path_factory.mktemp("privacy")
    app = Server(folder)
    sample = sorted((ROOT / "data" / "sample").glob("*.xlsx"))
    done = subprocess.run(
        [sys.executable, "-m", "kam_metrics", "ingest", "--db", str(app.db), *map(str, sample)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    try:
        yield app.start().wait_ready().url, app.db
    finally:
        app.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _settle(page) -> None:
    page.wait_for_timeout(400)  # let a rerun start before waiting for it to end
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(1200)  # data grids and charts draw after the script run


def _scan(page, where: str) -> list[str]:
    """The page's rendered text; fails on an unmasked mobile number, returns the masked ones seen."""
    text = page.evaluate(TEXT_JS)
    assert "Traceback" not in text, where
    leaked = UNMASKED.findall(text)
    assert not leaked, f"{where} shows full mobile numbers: {sorted(set(leaked))[:5]}"
    return MASKED.findall(text)


def _scan_all(page, where: str) -> list[str]:
    """Scan the page, then each of its tabs and expanders opened in turn (hidden grids draw no cells)."""
    seen = _scan(page, where)
    tabs = page.get_by_role("tab")
    for i in range(tabs.count()):
        tabs.nth(i).click()
        page.wait_for_timeout(800)
        seen += _scan(page, f"{where}, tab {i + 1}")
    expanders = page.locator("[data-testid='stExpander'] summary")
    for i in range(expanders.count()):
        expanders.nth(i).click()
        page.wait_for_timeout(800)
        seen += _scan(page, f"{where}, expander {i + 1}")
    return seen


def test_no_page_shows_an_unmasked_mobile_number(server, browser):
    url, _ = server
    page = browser.new_page(viewport={"width": 1600, "height": 4000})
    masked_seen = []
    for lang_label in (None, "English"):
        page.goto(url + "/")
        _settle(page)
        if lang_label:
            page.locator("[data-testid='stSidebar']").get_by_text(lang_label, exact=True).click()
            _settle(page)
        links = page.locator("[data-testid='stSidebarNavLink']")
        count = links.count()
        assert count >= 6, "every page is listed in the sidebar"
        for i in range(count):
            links.nth(i).click()
            _settle(page)
            masked_seen += _scan_all(page, f"{page.url} ({lang_label or '中文'})")
    # The scan reads the data grids: the commissions page lists deals with their (masked) phones.
    assert masked_seen, "no masked phone seen anywhere: the scan does not reach the tables"
    page.close()


def test_drill_downs_to_one_customer_kam_and_week_show_no_unmasked_number(server, browser):
    from kam_metrics.engine import report
    from kam_metrics.ingest.store import Store
    from kam_metrics.present import common, format

    url, db = server
    copy = db.parent / "copy" / "kam.duckdb"  # the server holds the store's lock: read a copy
    copy.parent.mkdir(exist_ok=True)
    copy.write_bytes(db.read_bytes())
    store = Store(copy)
    try:
        results = report.compute(store)
    finally:
        store.close()
    deal = results.commissions[results.commissions["type"] == "visit_deal"].iloc[0]
    kam, phone = deal["kam"], deal["phone"]
    week = common.weeks(results)[-1]
    targets = [
        "/attribution?" + urllib.parse.urlencode({"phone": phone}),
        "/weekly?" + urllib.parse.urlencode({"kam": kam, "week": week}),
        "/commissions?" + urllib.parse.urlencode({"kam": kam}),
    ]
    page = browser.new_page(viewport={"width": 1600, "height": 4000})
    for target in targets:
        page.goto(url + target)
        _settle(page)
        seen = _scan_all(page, target)
        if target.startswith("/attribution"):
            assert format.mask_phone(phone) in seen, "the customer's story shows the masked number"
    page.close()
