"""Hostile text in a real browser: names that Markdown or HTML would turn into image fetches, links, markup
or scripts are uploaded through the page and shown literally, and no request leaves for the address in them.

A local HTTP listener on 127.0.0.1 counts every request; the names point at it. After the upload the test
opens every page that shows those names (the upload's summary and ledger, the KAM-week, the customer's
story, the one-KAM workbook button) and checks: zero requests, no image, link or script element made of
them, and the names appear character for character in the page's text (dashboard/text.py).
"""

from __future__ import annotations

import csv as csv_module
import http.server
import threading
import urllib.parse

import pytest

from tests.browser.support import (
    SLOW,
    VIEWPORT,
    free_port,
    open_page,
    serving,
    wait_idle,
)
from tests.helpers import write_csv

pytestmark = pytest.mark.browser

PHONE, OTHER = "13812345678", "13812345679"


class Listener:
    """An HTTP server on 127.0.0.1 that answers 204 and counts the requests it got."""

    def __init__(self) -> None:
        self.port = free_port()
        self.paths: list[str] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                listener.paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def listener():
    with Listener() as it:
        yield it


@pytest.fixture(scope="module")
def names(listener) -> dict[str, str]:
    base = f"http://127.0.0.1:{listener.port}"
    return {
        "kam_link": f"[王伟]({base}/link)",
        "kam_html": "<b>粗</b>",
        "customer_image": f"![c]({base}/markdown.png)",
        "customer_script": f"<script>fetch('{base}/script')</script><img src=\"{base}/html.png\">",
        "file": "![f](f.png)_<i>周报_[x](y).csv",  # a file name holds no "/"
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    with serving(tmp_path_factory.mktemp("hostile")) as server:
        yield server


def _live_elements(page, port: int) -> list[str]:
    """Elements that would fetch or link to the listener, or markup made from the names."""
    return page.evaluate(
        """port => [...document.querySelectorAll('img, a, script, iframe, b, i')]
            .filter(el => (el.getAttribute('src') || el.getAttribute('href') || '').includes(':' + port)
                       || (el.tagName === 'B' && el.textContent === '粗')
                       || (el.tagName === 'I' && el.textContent.includes('周报'))
                       || (el.tagName === 'SCRIPT' && el.textContent.includes('fetch(')))
            .map(el => el.outerHTML)""",
        port,
    )


def _check(page, listener, texts: list[str], where: str) -> None:
    wait_idle(page)
    page.wait_for_timeout(1500)  # give a fetch, if any, the time to leave
    # Bare addresses carry an invisible word joiner (dashboard/text.py): read the text as it looks.
    main = page.locator("[data-testid='stMain']").inner_text().replace("\u2060", "")
    for text in texts:
        assert text in main, f"{where}: {text!r} is not shown literally"
    assert _live_elements(page, listener.port) == [], where
    assert listener.paths == [], f"{where}: requests reached the listener: {listener.paths}"


def test_hostile_names_uploaded_through_the_page_are_shown_literally_and_fetch_nothing(
    browser, server, listener, names, tmp_path
):
    csv = tmp_path / names["file"]
    with open(csv, "w", newline="", encoding="utf-8") as f:
        writer = csv_module.writer(f)
        writer.writerow(["报备时间", "大客户经理", "客户姓名", "手机号"])
        writer.writerow(["2026-09-08 10:00", names["kam_link"], names["customer_image"], PHONE])
        writer.writerow(["2026-09-09 10:00", names["kam_html"], names["customer_script"], OTHER])
    deal = {
        "signed_at": "2026-09-20",
        "customer_name": names["customer_script"],
        "phone": OTHER,
        "property": names["customer_image"],
        "amount": "1000000",
        "salesperson": names["kam_link"],
        "salesperson_commission": "3000",
    }
    deals = write_csv(tmp_path / "成交.csv", "deals", [deal])
    page = browser.new_page(viewport=VIEWPORT)
    open_page(page, server, "/upload")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(csv), str(deals)])
    for name in (names["file"], deals.name):
        container = page.locator("[data-testid='stMarkdownContainer']")
        container.filter(has_text=name.split("_")[-1]).filter(has_text="1 张表").first.wait_for(timeout=SLOW)
    _check(page, listener, [names["file"]], "upload page")

    query = urllib.parse.urlencode({"kam": names["kam_link"], "week": "2026-W37"})
    open_page(page, server, f"/weekly?{query}")
    page.get_by_text("本周结果").first.wait_for(timeout=SLOW)
    _check(page, listener, [], "weekly page")

    open_page(page, server, f"/attribution?phone={PHONE}")
    page.locator("h3").first.wait_for(timeout=SLOW)
    _check(page, listener, [names["customer_image"], names["kam_link"]], "customer page")
    open_page(page, server, f"/attribution?phone={OTHER}")
    page.locator("h3").first.wait_for(timeout=SLOW)
    _check(page, listener, [names["customer_script"], names["kam_html"]], "customer page (script)")

    open_page(page, server, "/commissions?" + urllib.parse.urlencode({"kam": names["kam_html"]}))
    page.get_by_text("净额").first.wait_for(timeout=SLOW)
    _check(page, listener, [], "commissions page")
    button = page.locator("[data-testid='stDownloadButton']").nth(1).inner_text().replace("\u2060", "")
    assert names["kam_html"] in button
    page.close()
