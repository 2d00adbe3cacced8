"""The traps of issue 10 that cost data or money, each replayed in a real browser the way it was met, and shown gone.

Every test starts its own server (its own store), so one trap's steps never depend on another's. Figures read
from the screen are checked against Store.ingest and the engine run on the same files in this process.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kam_metrics.engine import report
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store
from kam_metrics.present import sample, upload
from tests.browser.support import SLOW, VIEWPORT, open_page, read_table, serving, wait_idle

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
W37, W38, W39 = (SAMPLE / f"2026-W{n}_周报.xlsx" for n in (37, 38, 39))
REAL_CSV = "报备时间,大客户经理,客户姓名,手机号\n2026-11-23 10:00,赵真,钱先生,13912345678\n"
ENGLISH = re.compile(r"Input should|per file|files are not allowed|Drag and drop|\bUpload\b")


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    ctx.set_default_timeout(SLOW)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    yield p
    p.close()


@pytest.fixture
def server(tmp_path):
    """A server on an empty store of its own."""
    folder = tmp_path / "server"
    folder.mkdir()
    with serving(folder) as server:
        yield server


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    store = Store(tmp_path_factory.mktemp("traps-sample") / "kam.duckdb")
    sample.load_sample(store)
    store.cursor().execute("CHECKPOINT")
    store.close()
    return store.path


@pytest.fixture
def sample_server(tmp_path, sample_db):
    """A server on a copy of the bundled sample's store."""
    folder = tmp_path / "sample-server"
    folder.mkdir()
    with serving(folder, sample_db) as server:
        yield server


# -- helpers -------------------------------------------------------------------------------------
def go(page, title: str) -> None:
    """Click a page's entry in the sidebar navigation (the same session, as a user moves between pages)."""
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text=title).first.click()
    page.locator("h1").filter(has_text=title).first.wait_for(timeout=SLOW)
    wait_idle(page)


def give(page, *paths: Path) -> None:
    """Hand files to the uploader and wait until the page has finished with them."""
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(p) for p in paths])
    page.wait_for_timeout(500)
    wait_idle(page)


def wait_card(page, name: str) -> None:
    page.locator("[data-testid='stMarkdownContainer']").filter(has_text=f"{name}：").first.wait_for()
    wait_idle(page)


def ledger(page, rows: int | None = None) -> list[dict]:
    return read_table(page, "上传时间", rowcount=rows)["rows"]


def ledger_count(page) -> int:
    """Every upload of the ledger (drawn or not: the table scrolls)."""
    return read_table(page, "上传时间")["rowcount"]


def alerts(page) -> list[str]:
    return page.locator("[data-testid='stAlert']").all_inner_texts()


def body_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def scratch(folder: Path, files: list[Path]):
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "kam.duckdb")
    try:
        return [store.ingest(f) for f in files], report.compute(store)
    finally:
        store.close()


# -- trap 1: the rules form after a visit elsewhere -----------------------------------------------
def test_the_rules_form_shows_the_stored_rules_after_going_to_another_page_and_back(page, sample_server):
    from playwright.sync_api import expect

    open_page(page, sample_server, "/rules")
    units = page.get_by_role("spinbutton", name=t("ui.rule.targets.units", "zh"))
    fine = page.get_by_role("spinbutton", name=t("ui.rule.fines.units", "zh"))
    expect(units).to_have_value("3")
    expect(fine).to_have_value("100.00")

    go(page, t("ui.page.upload", "zh"))
    go(page, t("ui.page.rules", "zh"))  # the steps that brought back all zeros

    expect(units).to_have_value("3")
    expect(fine).to_have_value("100.00")
    expect(page.get_by_role("spinbutton", name=t("ui.rule.warn_after_weeks", "zh"))).to_have_value("2")
    assert t("ui.rules.no_changes", "zh") in alerts(page)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert page.get_by_role("button", name=t("ui.rules.save", "zh")).is_disabled()

    # A refused value is told in Chinese, naming the field; pydantic's English never shows.
    units.fill("-1")
    units.press("Enter")
    message = "拓展单位目标 (targets.units)不能小于 0"
    page.get_by_text(message).wait_for()
    wait_idle(page)
    assert not ENGLISH.search(body_text(page))
    assert page.get_by_role("button", name=t("ui.rules.save", "zh")).is_disabled()


# -- trap 2: undo removes the newest upload, and says what it removes -----------------------------
def test_undo_defaults_to_the_newest_upload_and_names_file_time_and_rows_before_removing(
    page, server, tmp_path
):
    open_page(page, server, "/upload")
    give(page, W37)
    wait_card(page, W37.name)
    ledger(page, 1)  # the undo pick is drawn now, at #1
    give(page, W38)  # the second file: the pick used to stay at #1
    wait_card(page, W38.name)
    rows = ledger(page, 2)
    newest = next(r for r in rows if r["文件"] == W38.name)

    page.get_by_role("button", name=t("ui.upload.undo", "zh")).click()
    wait_idle(page)
    label = f"#{newest['编号']} · {W38.name} · {newest['上传时间']}"
    warning = next(a for a in alerts(page) if a.startswith("确定撤销"))
    assert warning.startswith(f"确定撤销 {label}？将移除：")
    expected = _removal_of_the_last(tmp_path / "c", [W37, W38])
    assert expected in warning
    assert len(ledger(page, 2)) == 2  # nothing removed before the confirmation

    page.get_by_role("button", name=t("ui.upload.undo_yes", "zh")).click()
    page.get_by_text(t("ui.upload.undone", "zh", upload=f"#{newest['编号']}")).wait_for()
    wait_idle(page)
    assert [r["文件"] for r in ledger(page, 1)] == [W37.name]


def _removal_of_the_last(folder: Path, files: list[Path]) -> str:
    """The removal text of the last of ``files`` stored in a scratch store in this order."""
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "kam.duckdb")
    try:
        last = [store.ingest(f) for f in files][-1]
        return upload.removal_text(upload.stored_rows(store, last.upload_id), "zh")
    finally:
        store.close()


def test_each_upload_card_undoes_its_own_upload(page, server):
    open_page(page, server, "/upload")
    give(page, W37, W38)
    wait_card(page, W38.name)
    rows = ledger(page, 2)
    first = next(r for r in rows if r["文件"] == W37.name)
    card = page.locator("[data-testid='stExpander']").filter(has_text=f"{W37.name}：")
    card.get_by_role("button", name=t("ux.upload.undo_this", "zh")).click()
    wait_idle(page)
    warning = card.locator("[data-testid='stAlert']").first.inner_text()
    assert warning.startswith(f"确定撤销 #{first['编号']} · {W37.name} · {first['上传时间']}？将移除：")
    card.get_by_role("button", name=t("ui.upload.undo_yes", "zh")).click()
    page.get_by_text(t("ui.upload.undone", "zh", upload=f"#{first['编号']}")).wait_for()
    wait_idle(page)
    assert [r["文件"] for r in ledger(page, 1)] == [W38.name]


# -- trap 3: real data never mixes silently with the sample ---------------------------------------
def test_a_real_upload_onto_the_sample_asks_first_and_can_clear_the_sample(page, sample_server, tmp_path):
    real = tmp_path / "本周报备.csv"
    real.write_text(REAL_CSV, encoding="utf-8")
    open_page(page, sample_server, "/upload")
    sample_rows = ledger_count(page)
    assert sample_rows > 1
    give(page, real)
    page.get_by_text(t("ux.sample.mix", "zh", n=1)).wait_for()
    assert ledger_count(page) == sample_rows  # nothing stored before the choice

    page.get_by_role("button", name=t("ux.sample.clear_then_upload", "zh")).click()
    wait_card(page, real.name)
    assert [r["文件"] for r in ledger(page, 1)] == [real.name]
    assert "示例数据：" not in body_text(page)


def test_clear_all_data_needs_the_typed_word(page, server):
    open_page(page, server, "/upload")
    give(page, W37)
    wait_card(page, W37.name)
    page.get_by_text(t("ux.clear.title", "zh")).first.click()
    button = page.get_by_role("button", name=t("ux.clear.button", "zh"))
    box = page.get_by_label(t("ux.clear.type", "zh", word=t("ux.clear.word", "zh")))
    assert button.is_disabled()
    box.fill("清除")
    box.press("Enter")
    wait_idle(page)
    assert button.is_disabled()
    box.fill(t("ux.clear.word", "zh"))
    box.press("Enter")
    wait_idle(page)
    button.click()
    page.get_by_text(t("ux.clear.done", "zh")).wait_for()
    page.get_by_text(t("ui.upload.ledger_empty", "zh")).wait_for()


def test_clearing_the_sample_from_its_banner_asks_first(page, sample_server):
    # Needs the sample banner (dashboard/sidebar.py) to call dashboard.danger.confirm_clear_sample().
    open_page(page, sample_server, "/upload")
    rows = ledger_count(page)
    page.get_by_role("button", name=t("ui.sample.clear", "zh"), exact=True).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(t("ux.sample.clear_confirm", "zh", n=rows)).wait_for()
    assert ledger_count(page) == rows
    dialog.get_by_role("button", name=t("ux.cancel", "zh")).click()
    wait_idle(page)
    assert ledger_count(page) == rows
    page.get_by_role("button", name=t("ui.sample.clear", "zh"), exact=True).first.click()
    page.get_by_role("dialog").get_by_role("button", name=t("ux.sample.clear_yes", "zh")).click()
    page.get_by_text(t("ui.upload.ledger_empty", "zh")).wait_for()


# -- trap 4: a repeated file is named, and upload numbers are never reused ------------------------
def test_re_uploading_an_identical_file_says_when_it_was_uploaded_and_that_it_changed_nothing(
    page, server, tmp_path
):
    open_page(page, server, "/upload")
    give(page, W37)
    wait_card(page, W37.name)
    first = ledger(page, 1)[0]
    again = tmp_path / "again" / W37.name
    again.parent.mkdir()
    shutil.copy(W37, again)  # the same bytes (the uploader counts a new file only by a new pick)
    give(page, again)
    repeat = t("ux.upload.repeat_nothing", "zh", time=first["上传时间"], upload=f"#{first['编号']}")
    page.get_by_text(repeat).wait_for()
    page.get_by_text("本次上传使罚款 +¥0.00、佣金 +¥0.00、标记 +0").first.wait_for()


def test_an_undone_upload_number_is_never_given_again(page, server):
    # Needs the store to count ids from meta.last_upload_id (the store engineer's change).
    open_page(page, server, "/upload")
    give(page, W37, W38)
    wait_card(page, W38.name)
    ids = sorted(int(r["编号"]) for r in ledger(page, 2))
    page.get_by_role("button", name=t("ui.upload.undo", "zh")).click()
    page.get_by_role("button", name=t("ui.upload.undo_yes", "zh")).click()
    page.get_by_text(t("ui.upload.undone", "zh", upload=f"#{ids[-1]}")).wait_for()
    give(page, W39)
    wait_card(page, W39.name)
    newest = max(int(r["编号"]) for r in ledger(page, 2))
    assert newest == ids[-1] + 1


# -- trap 5: eleven uploads stay readable, the count and the money change are told -----------------
def test_uploads_one_by_one_count_every_file_keep_one_card_open_and_tell_the_money_change(
    page, server, tmp_path
):
    open_page(page, server, "/upload")
    for n, path in enumerate((W37, W38, W39), start=1):
        give(page, path)
        wait_card(page, path.name)
        page.get_by_text(t("ui.upload.finished", "zh", n=n)).wait_for()
    cards = page.locator("[data-testid='stExpander']").filter(has_text="周报.xlsx")
    open_cards = [c for c in cards.all() if c.locator("details[open]").count()]
    assert len(open_cards) == 1 and W39.name in open_cards[0].inner_text()
    # The ledger comes before the cards.
    ledger_top = page.get_by_text(t("ui.upload.ledger", "zh")).first.bounding_box()["y"]
    assert ledger_top < cards.first.bounding_box()["y"]

    _, before = scratch(tmp_path / "two", [W37, W38])
    _, after = scratch(tmp_path / "three", [W37, W38, W39])
    change = upload.change_text(upload.money_change(upload.totals(before), upload.totals(after)), "zh")
    assert change in open_cards[0].inner_text()


# -- the uploader speaks our language ------------------------------------------------------------
def test_the_uploader_shows_no_english_and_refuses_other_types_in_chinese(page, server, tmp_path):
    open_page(page, server, "/upload")
    assert not ENGLISH.search(page.locator("[data-testid='stFileUploader']").inner_text())
    note = tmp_path / "说明.pdf"
    note.write_bytes(b"%PDF-1.4 not a table")
    give(page, note)
    page.get_by_text(upload.refused_text(note.name, "zh")).wait_for()
    assert not ENGLISH.search(body_text(page))
    page.get_by_text(t("ui.upload.ledger_empty", "zh")).wait_for()
