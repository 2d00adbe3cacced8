"""The dashboard in a real browser (Chromium via Playwright) against `streamlit run app.py`.

Two servers: one on an empty store (uploads through the file uploader, then undo) and one on a copy of the
bundled sample (every other page). Each figure read from the screen is checked against the engine run on
the same data in this process. The tests also write the README screenshots to docs/screenshots/ (or to
$KAM_SCREENSHOTS). Skipped when Playwright or /usr/bin/chromium is missing, except with CI=true.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from kam_metrics.access.roles import DIRECTOR, LOCAL, PAGES
from kam_metrics.contract.rules import rules_from_dict
from kam_metrics.engine import report
from kam_metrics.i18n import column_label, t
from kam_metrics.ingest.store import Store
from kam_metrics.present import commissions, common, customer, format, overview, rules, upload, weekly
from tests.browser.support import (
    SLOW,
    VIEWPORT,
    Server,
    dataframe,
    header,
    metrics,
    open_page,
    pick_option,
    read_grid,
    read_table,
    screenshot,
    serving,
    wait_idle,
)

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TWO_WEEKS = [SAMPLE / "2026-W37_周报.xlsx", SAMPLE / "2026-W38_周报.xlsx"]
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def context(browser):
    """One browser context (shared HTTP cache); every test opens its own page, i.e. its own session."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    ctx.set_default_timeout(SLOW)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context, request, tmp_path_factory):
    """A new page; when its test failed, a screenshot of it is left in pytest's temp folder (path printed)."""
    failed = request.session.testsfailed
    p = context.new_page()
    yield p
    if request.session.testsfailed > failed:
        shot = tmp_path_factory.getbasetemp() / f"failed-{request.node.name}.png"
        try:
            p.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failed page: {shot}")
        except Exception as e:  # a crashed page must not hide the test's own failure
            print(f"no screenshot of the failed page: {e}")
    p.close()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory, browser):
    with serving(tmp_path_factory.mktemp("empty-server")) as server:
        server.uploaded = False  # set once the two sample weeks went in through the uploader
        yield server


@pytest.fixture
def results(sample_engine):
    return sample_engine[1]


def upload_two_weeks(page, server: Server) -> None:
    """On the upload page: give the uploader both sample weeks and wait for their outcome."""
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(p) for p in TWO_WEEKS])
    for path in TWO_WEEKS:
        summary = page.locator("[data-testid='stMarkdownContainer']").filter(has_text=f"{path.name}：")
        summary.first.wait_for(timeout=SLOW)
    wait_idle(page)
    server.uploaded = True


def scratch_ingest(folder: Path, files: list[Path]):
    """Store.ingest of ``files`` in this order in a new store: (results per file, engine results)."""
    store = Store(folder / "kam.duckdb")
    try:
        outcome = [store.ingest(f) for f in files]
        return outcome, report.compute(store)
    finally:
        store.close()


def as_texts(frame) -> list[list[str]]:
    return [["" if v is None else str(v) for v in row] for row in frame.values.tolist()]


# -- uploads (empty store) -----------------------------------------------------------------------
def test_uploading_two_sample_weeks_shows_each_sheets_counts_as_the_engine_stores_them(
    page, empty_server, tmp_path
):
    open_page(page, empty_server, "/upload")
    page.get_by_text(t("ui.upload.ledger_empty", "zh")).wait_for()

    upload_two_weeks(page, empty_server)

    ledger = read_table(page, "上传时间", rowcount=2)
    order = [row["文件"] for row in sorted(ledger["rows"], key=lambda r: int(r["编号"]))]
    assert sorted(order) == [p.name for p in TWO_WEEKS]
    outcome, _ = scratch_ingest(tmp_path, [SAMPLE / name for name in order])

    shown = page.locator("[data-testid='stMarkdownContainer']").all_inner_texts()
    for result in outcome:
        assert upload.upload_summary(result, "zh") in shown
    # Every per-sheet count table, cell by cell, against Store.ingest of the same file in the same order.
    tables = page.locator("[data-testid='stDataFrame']").filter(has=header(page, "识别为"))
    assert tables.count() == 2
    drawn = sorted([list(r.values()) for r in read_grid(tables.nth(i))["rows"]] for i in range(2))
    assert drawn == sorted(as_texts(upload.sheet_counts(r, "zh")) for r in outcome)
    assert any(int(row[3]) > 0 for table in drawn for row in table)  # accepted rows, not just zeros

    screenshot(page, "upload")


def test_undoing_an_upload_puts_the_ledger_and_the_weeks_figures_back(page, empty_server, tmp_path):
    if not empty_server.uploaded:
        open_page(page, empty_server, "/upload")
        upload_two_weeks(page, empty_server)
    open_page(page, empty_server, "/")
    before = metrics(page, "拓展单位", "被标记人数")

    open_page(page, empty_server, "/upload")
    ledger = read_table(page, "上传时间", rowcount=2)
    week38 = next(r["编号"] for r in ledger["rows"] if r["文件"] == TWO_WEEKS[1].name)
    pick_option(page, t("ui.upload.undo_pick", "zh"), f"#{week38} ·")
    page.get_by_role("button", name=t("ui.upload.undo", "zh")).click()
    page.get_by_text(f"确定撤销 #{week38}").wait_for()
    page.get_by_role("button", name=t("ui.upload.undo_yes", "zh")).click()
    page.get_by_text(t("ui.upload.undone", "zh", upload=f"#{week38}")).wait_for()
    wait_idle(page)
    ledger = read_table(page, "上传时间", rowcount=1)
    assert [r["文件"] for r in ledger["rows"]] == [TWO_WEEKS[0].name]

    open_page(page, empty_server, "/")
    after = metrics(page, "拓展单位", "被标记人数")
    _, only_w37 = scratch_ingest(tmp_path, TWO_WEEKS[:1])
    kpi = overview.kpis(only_w37, common.weeks(only_w37)[-1])
    for quota in kpi["quotas"]:
        assert after[t(f"ui.col.{quota['quota']}", "zh")] == f"{quota['count']} / {quota['target']}"
    assert after != before


# -- every page on the sample --------------------------------------------------------------------
def test_overview_shows_the_engines_figures_for_the_last_week(page, sample_server, results):
    open_page(page, sample_server, "/")
    page.get_by_text("示例数据：").wait_for()
    week = overview.last_complete(results)
    kpi = overview.kpis(results, week)
    shown = metrics(page, "拓展单位", "被标记人数")
    for quota in kpi["quotas"]:
        assert shown[t(f"ui.col.{quota['quota']}", "zh")] == f"{quota['count']} / {quota['target']}"
    assert shown["被标记人数"] == str(kpi["flagged"])
    flagged = read_table(page, "在职状态")
    assert [r["大客户经理"] for r in flagged["rows"]] == common.flagged(results, "zh", week)[
        "大客户经理"
    ].tolist()
    screenshot(page, "overview")


def test_a_click_on_a_weekly_grid_cell_opens_that_kam_week_with_the_rows_behind_it(
    page, sample_server, results
):
    from playwright.sync_api import expect

    # The cell to click: the latest missed week that carries a flag (a missed, finished week otherwise).
    finished = results.weekly[~results.weekly["in_progress"].astype(bool)]
    missed = finished[~finished["met"].astype(bool)]
    chosen = missed[missed["flag"] != ""] if (missed["flag"] != "").any() else missed
    target = chosen.sort_values(["week_start", "kam"]).iloc[-1]

    open_page(page, sample_server, "/weekly")
    chart = page.locator("[data-testid='stPlotlyChart']").first
    chart.locator("g.points path.point").first.wait_for()
    trace, index = chart.locator(".js-plotly-plot").evaluate(
        """(gd, [kam, week]) => {
            for (const [i, tr] of gd.data.entries()) {
                const j = tr.x.findIndex((x, k) => x === week && tr.y[k] === kam);
                if (j >= 0) return [i, j];
            }
            return [-1, -1];
        }""",
        [target["kam"], target["week"]],
    )
    assert trace >= 0, "the KAM-week is not on the grid"
    box = chart.locator("g.trace.scatter").nth(trace).locator("g.points path.point").nth(index).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    page.wait_for_url(lambda url: "kam=" in url and "week=" in url, timeout=SLOW)
    query = parse_qs(urlparse(page.url).query)
    kam, week = query["kam"][0], query["week"][0]
    assert (kam, week) == (target["kam"], target["week"])
    page.get_by_text(common.week_label(results, week, "zh")).wait_for()
    wait_idle(page)
    kam_box = page.locator("[data-testid='stSelectbox']").filter(has_text=t("ui.col.kam", "zh"))
    expect(kam_box.first.locator("input")).to_have_value(kam)

    shown = metrics(page, "本周结果", "罚款", "标记")
    assert shown["本周结果"] == t("ui.state.missed", "zh")
    assert shown["罚款"] == format.money(target["fine"])
    assert shown["标记"] == (t(f"flag.{target['flag']}", "zh") or "—")

    detail = weekly.kam_week(results, LOCAL, kam, week, "zh")
    leads = read_table(page, "报备时间")
    expected = detail["leads"]
    assert leads["rowcount"] == len(expected) > 0
    statuses = [r["状态"] for r in leads["rows"]]
    assert statuses == expected["状态"].tolist()[: len(statuses)]
    words = {t(f"status.{c}", "zh") for c in ("valid", "registry_overlap", "duplicate_own", "owned_by_other")}
    assert set(statuses) <= words
    assert not FULL_PHONE.search(page.locator("[data-testid='stMain']").inner_text())
    screenshot(page, "weekly")


def test_looking_up_a_phone_tells_the_customers_story(page, sample_server, results):
    # A customer with a lead, a visit and a deal: the richest story of the sample.
    deals = results.commissions[results.commissions["type"] == "visit_deal"]
    phone = sorted(set(deals["phone"]) & set(results.leads["phone"]) & set(results.visits["phone"]))[0]
    lead_kam = results.leads[results.leads["phone"] == phone].sort_values("reported_at")["kam"].iloc[0]

    open_page(page, sample_server, "/attribution")
    search = page.get_by_label(t("ui.attr.search", "zh"))
    search.fill(phone)
    search.press("Enter")
    page.wait_for_url(lambda url: "c=" in url, timeout=SLOW)
    assert phone not in page.url  # an opaque reference, not the number, is in the address bar
    page.get_by_text(customer.customer_label(results, phone)).wait_for()
    wait_idle(page)

    story = read_table(page, "事件")
    expected = customer.customer_story(results, LOCAL, phone, "zh")
    assert story["rowcount"] == len(expected)
    assert [list(r.values()) for r in story["rows"]] == as_texts(expected)[: len(story["rows"])]
    lead = next(r for r in story["rows"] if r["事件"] == t("ui.event.lead", "zh"))
    assert lead["大客户经理"] == lead_kam
    page.get_by_text(customer.claim_text(results, LOCAL, phone, "zh")).wait_for()
    assert phone not in page.locator("[data-testid='stMain']").inner_text()  # only masked on screen
    screenshot(page, "attribution")


def test_the_downloaded_result_workbook_holds_the_engines_figures(page, sample_server, results, tmp_path):
    from openpyxl import load_workbook

    open_page(page, sample_server, "/commissions")
    month = commissions.months(results)[-1]
    statement = read_table(page, "净额")
    expected = commissions.statement_table(results, LOCAL, month, "zh")
    assert statement["rowcount"] == len(expected)
    assert [list(r.values()) for r in statement["rows"]] == as_texts(expected)[: len(statement["rows"])]

    with page.expect_download(timeout=SLOW) as download:
        page.get_by_role("button", name=t("ui.comm.download_all", "zh")).click()
    assert download.value.suggested_filename == t("ui.comm.file_all", "zh", date=format.day(results.as_of))
    path = tmp_path / "result.xlsx"
    download.value.save_as(path)

    book = load_workbook(path, read_only=True)
    rows = list(book[t("sheet.summary", "zh")].iter_rows(values_only=True))
    kam_col = rows[0].index(column_label("summary", "kam", "zh"))
    net_col = rows[0].index(column_label("summary", "net_total", "zh"))
    in_book = {r[kam_col]: Decimal(str(r[net_col])).quantize(Decimal("0.01")) for r in rows[1:]}
    engine_net = dict(zip(results.summary["kam"], results.summary["net_total"], strict=True))
    assert in_book == engine_net
    top = max(engine_net, key=engine_net.get)
    assert in_book[top] > 0
    screenshot(page, "commissions")


def test_switching_to_english_shows_english_labels(page, sample_server, results):
    from playwright.sync_api import expect

    open_page(page, sample_server, "/")
    zh_units = metrics(page, "拓展单位")["拓展单位"]
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "Language" in sidebar.inner_text()
    sidebar.get_by_text("English", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Overview")
    wait_idle(page)
    dataframe(page, "Missed streak")

    pages = PAGES[DIRECTOR]  # local mode: the director's pages
    expect(sidebar.locator("[data-testid='stSidebarNavLink']")).to_have_text(
        [re.compile(re.escape(t(f"ui.page.{p}", "en")) + "$") for p in pages]
    )
    expect(sidebar).to_contain_text("As of")
    expect(sidebar).to_contain_text("Team")
    assert metrics(page, "Units")["Units"] == zh_units
    flagged = read_table(page, "Employment")
    assert flagged["headers"] == ["KAM", "Team", "Flag", "Missed streak", "Employment"]
    assert {r["Flag"] for r in flagged["rows"]} <= {t("flag.warning", "en"), t("flag.dismissal_review", "en")}
    expect(page.locator("[data-testid='stMain']")).not_to_contain_text("大客户经理")
    screenshot(page, "overview_en")


def test_rules_what_if_shows_the_engines_totals_under_the_edited_rule(
    page, sample_server, sample_engine, results
):
    from playwright.sync_api import expect

    store, _ = sample_engine
    now_units = results.rules.targets.units
    edited = rules_from_dict({"targets": {"units": now_units + 2}})
    then = report.compute(store, edited)
    totals = rules.whatif_totals(results, then)

    open_page(page, sample_server, "/rules")
    field = page.get_by_role("spinbutton", name=t("ui.rule.targets.units", "zh"))
    expect(field).to_have_value(str(now_units))
    field.fill(str(now_units + 2))
    field.press("Enter")
    page.get_by_text(t("ui.rules.whatif", "zh")).wait_for()
    wait_idle(page)

    shown = metrics(page, t("ui.rules.total_fines", "zh"), t("ui.rules.total_flagged", "zh"))
    assert shown[t("ui.rules.total_fines", "zh")] == format.money(totals["fines_new"])
    assert shown[t("ui.rules.total_commission", "zh")] == format.money(totals["commission_new"])
    assert shown[t("ui.rules.total_flagged", "zh")] == str(totals["flagged_new"])
    changes = read_table(page, "修改后")
    assert [list(r.values()) for r in changes["rows"]] == [
        ["拓展单位目标 (targets.units)", str(now_units), str(now_units + 2)]
    ]
    whatif = read_table(page, "罚款变化")
    assert whatif["rowcount"] == len(results.summary)
    assert page.get_by_role("button", name=t("ui.rules.save", "zh")).is_enabled()
    screenshot(page, "rules")
