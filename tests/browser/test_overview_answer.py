"""The overview's answer in a real browser, on the bundled sample: the first screen is the last complete week,
says how many KAMs met it and names who missed — the same names as the result workbook's weekly sheet.

The expectation comes from the engine run on the same store in this process (never copied numbers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam_metrics.export import workbook
from kam_metrics.i18n import column_label, t
from tests.browser.support import metrics, open_page, read_table, wait_idle

pytestmark = pytest.mark.browser


def weekly_sheet(results, tmp_path: Path) -> list[dict]:
    """The weekly sheet of the result workbook written from ``results``, as rows of header → value."""
    from openpyxl import load_workbook

    path = tmp_path / "result.xlsx"
    workbook.write_workbook(results, path, "zh")
    sheet = load_workbook(path, read_only=True)[t("sheet.weekly", "zh")]
    rows = list(sheet.iter_rows(values_only=True))
    head = [str(h) for h in rows[0]]
    return [dict(zip(head, r, strict=False)) for r in rows[1:]]


def test_the_first_screen_names_who_missed_the_last_complete_week_as_the_workbook_does(
    page, sample_server, sample_engine, tmp_path
):
    _, results = sample_engine
    weekly = results.weekly
    done = weekly[~weekly["in_progress"].astype(bool)].sort_values("week_start")
    week = done["week"].iloc[-1]
    rows = weekly[weekly["week"] == week]
    missed = set(rows.loc[~rows["met"].astype(bool), "kam"])
    assert missed and len(missed) < len(rows)  # the sample's week has both kinds

    # The result workbook's weekly sheet says the same for that week.
    sheet = weekly_sheet(results, tmp_path)
    kam, wk, met = (column_label("weekly", c, "zh") for c in ("kam", "week", "met"))
    no = {r[met] for r in sheet} - {t("ui.yes", "zh"), True}
    assert {r[kam] for r in sheet if r[wk] == week and r[met] in no} == missed

    open_page(page, sample_server, "/")
    page.get_by_text(t("ui.overview.met", "zh", met=len(rows) - len(missed), kams=len(rows))).wait_for()
    shown = read_table(page, t("ui.col.change", "zh"), rowcount=len(missed))
    assert {r[t("ui.col.kam", "zh")] for r in shown["rows"]} == missed
    assert page.get_by_text(t("ui.overview.missed_title", "zh", week=week)).count() == 1
    # One definition: the 被标记人数 card counts the rows of the flagged list.
    flagged = metrics(page, t("ui.overview.flagged", "zh"))[t("ui.overview.flagged", "zh")]
    assert read_table(page, t("ui.col.left", "zh"))["rowcount"] == int(flagged)

    # The in-progress week is one click away, and says it is not settled yet.
    page.get_by_role("button", name=t("ui.overview.show_current", "zh")).click()
    current = weekly.loc[weekly["in_progress"].astype(bool), "week"].iloc[0]
    in_progress = weekly[weekly["week"] == current]
    page.get_by_text(
        t("ui.overview.met_in_progress", "zh", met=int(in_progress["met"].sum()), kams=len(in_progress))
    ).wait_for()
    wait_idle(page)
    assert page.get_by_text(t("ui.overview.no_verdict", "zh")).count() == 1


PAGES = ("/", "/weekly", "/attribution", "/commissions", "/upload", "/rules")


def test_no_page_fetches_anything_from_another_host(page, sample_server):
    # The favicon was a ":material/…:" icon, which the browser fetched from fonts.gstatic.com.
    outside = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((sample_server.url, "data:", "blob:")) else outside.append(r.url),
    )
    for path in PAGES:
        open_page(page, sample_server, path)
    page.wait_for_timeout(1000)
    assert outside == []
    icon = page.evaluate("() => document.querySelector(\"link[rel*='icon']\")?.href ?? ''")
    assert icon.startswith(sample_server.url)


def test_a_language_switch_and_the_week_button_log_no_session_state_warning(page, sample_server):
    open_page(page, sample_server, "/")
    page.get_by_role("button", name=t("ui.overview.show_current", "zh")).click()
    wait_idle(page)
    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    page.locator("h1").filter(has_text=t("ui.page.overview", "en")).wait_for()
    wait_idle(page)
    page.get_by_role("button", name=t("ui.overview.show_last", "en")).click()
    wait_idle(page)
    log = sample_server.log.read_text(errors="replace")
    assert "Session State API" not in log, sample_server.log_tail()


def shown_as_of(sidebar, label: str) -> str:
    """The sidebar's as-of date as YYYY-MM-DD, read from the date field's year, month and day segments."""
    parts = [
        int(sidebar.get_by_role("spinbutton", name=f"{part}, {label}").get_attribute("aria-valuenow"))
        for part in ("year", "month", "day")
    ]
    return f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"


def test_the_language_and_the_as_of_date_survive_a_reload(page, sample_server, sample_engine):
    import datetime as dt

    _, results = sample_engine
    open_page(page, sample_server, "/weekly")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("English", exact=True).click()
    page.wait_for_function("() => location.search.includes('lang=en')")  # the switch writes the URL
    wait_idle(page)

    earlier = (results.as_of - dt.timedelta(days=10)).isoformat()
    open_page(page, sample_server, f"/weekly?lang=en&as_of={earlier}")  # a link or bookmark with both
    for _ in range(2):
        page.locator("h1").filter(has_text=t("ui.page.weekly", "en")).wait_for()
        wait_idle(page)
        assert shown_as_of(sidebar, t("ui.sidebar.as_of", "en")) == earlier
        nav = sidebar.locator("[data-testid='stSidebarNavLink']").first.inner_text()
        assert t("ui.page.overview", "en") in nav
        assert f"as_of={earlier}" in page.url and "lang=en" in page.url
        page.reload(wait_until="domcontentloaded")  # F5


def test_a_deep_link_fails_no_request_but_streamlits_own_base_url_probe(page, sample_server):
    # Streamlit's frontend finds the server's base URL by trying the page's path first
    # (/weekly/_stcore/health, /weekly/_stcore/host-config: 404 by design, see
    # streamlit/web/server/starlette/starlette_static_routes.py) and then its parent. Those two probes
    # are the only failures a deep link may cause: no asset, icon or link of ours is relative to the page.
    failed = []
    page.on(
        "response",
        lambda r: failed.append(r.url.removeprefix(sample_server.url)) if r.status >= 400 else None,
    )
    for path in PAGES[1:]:
        open_page(page, sample_server, path)
    page.wait_for_timeout(500)
    probes = {f"{p}/_stcore/{end}" for p in PAGES[1:] for end in ("health", "host-config")}
    assert set(failed) <= probes, sorted(set(failed) - probes)
