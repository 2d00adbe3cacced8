"""The printable monthly statement (结算单, SPEC §9), read back from the PDF: its figures are the KAM's statement
row for every KAM and month of the sample in both languages; long months continue on a second page with the
totals on the last; a closed month shows its frozen figures and the next month the adjustment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from kam_metrics.contract.rules import rules_from_dict
from kam_metrics.engine import report
from kam_metrics.export import statement_pdf as module
from kam_metrics.export.statement_lines import statement_of
from kam_metrics.export.statement_pdf import FontMissing, NoStatement, month_pdf, statement_pdf
from kam_metrics.ingest.closes import close_month
from kam_metrics.ingest.store import Store
from tests.helpers import write_csv
from tests.kam_metrics.export.pdf_text import lines

SAMPLE = sorted((Path(__file__).resolve().parents[3] / "data" / "sample").glob("*.xlsx"))
TODAY = dt.date(2026, 12, 1)
# The words of the totals block and the header, transcribed per language (not read from the locale files).
WORDS = {
    "zh": {
        "commission": "佣金合计",
        "clawback": "追回合计",
        "fines": "罚款合计",
        "adjustments": "调整合计",
        "net": "本月净额",
        "closed": "已月结",
        "provisional": "预估 · 未月结",
        "page": "第 {} / {} 页",
        "changed": "* 已变化",
    },
    "en": {
        "commission": "Commission",
        "clawback": "Clawback",
        "fines": "Fines",
        "adjustments": "Adjustments",
        "net": "Net",
        "closed": "Closed",
        "provisional": "Provisional · not closed",
        "page": "Page {} of {}",
        "changed": "* changed",
    },
}


def yuan(value) -> str:
    """Money as the product prints it: ``-¥1,234.50``."""
    amount = Decimal(value)
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"


def totals_of(page: list[str], lang: str) -> dict[str, str]:
    """The totals block of a page: label → the printed amount."""
    w = WORDS[lang]
    found = {}
    for line in page:
        label, _, amount = line.partition(" | ")
        for key in ("commission", "clawback", "fines", "adjustments", "net"):
            if label == w[key] and amount.startswith(("¥", "-¥")):
                found[key] = amount
    return found


def expected_totals(row) -> dict[str, str]:
    """The statement row as the page prints it: each figure's effect on net (clawback and fines deducted)."""
    return {
        "commission": yuan(row.commission),
        "clawback": yuan(-row.clawback),
        "fines": yuan(-row.fines),
        "adjustments": yuan(row.adjustments),
        "net": yuan(row.net),
    }


def statements_in(pages: list[list[str]], lang: str) -> dict[tuple[str, str], list[list[str]]]:
    """The pages of each statement of a PDF, keyed by (kam, month) from its footer."""
    found: dict[tuple[str, str], list[list[str]]] = {}
    word = "生成日期" if lang == "zh" else "Generated"
    for page in pages:
        footer = next(line for line in page if line.startswith(word))
        kam, month = footer.split(" | ")[0].rsplit(" · ", 1)[1].split(" ")
        found.setdefault((kam, month), []).append(page)
    return found


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory) -> Path:
    """A store holding the bundled sample (closed again once built, so tests can copy its folder)."""
    folder = tmp_path_factory.mktemp("statement-pdf")
    store = Store(folder / "kam.duckdb")
    for path in SAMPLE:
        store.ingest(path)
    store.close()
    return folder


@pytest.fixture(scope="module")
def sample_results(sample_folder):
    store = Store(sample_folder / "kam.duckdb")
    yield report.compute(store)
    store.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_statement_of_the_sample_prints_exactly_its_statement_row(sample_results, lang):
    rows = sample_results.statement
    assert len(rows) == 22  # 8 KAMs, 2026-09 … 2026-11
    for month in sorted(set(rows["month"])):
        pages = lines(month_pdf(sample_results, month, lang, today=TODAY))
        got = statements_in(pages, lang)
        mine = rows[rows["month"] == month]
        assert sorted(got) == sorted((k, month) for k in mine["kam"])
        for row in mine.itertuples(index=False):
            statement = got[(row.kam, month)]
            assert len(statement) == 1, f"{row.kam} {month} is one page"
            page = statement[0]
            assert totals_of(page, lang) == expected_totals(row), (row.kam, month)
            assert f"{row.kam} | {row.team} | {month}" in page
            assert WORDS[lang]["provisional"] in page
            assert page[-1].endswith(WORDS[lang]["page"].format(1, 1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_commission_and_clawback_line_is_printed_with_its_deal_and_a_masked_phone(sample_results, lang):
    c = sample_results.commissions
    for kam, month in [("刘洋", "2026-10"), ("张强", "2026-11"), ("陈静", "2026-09")]:
        page = lines(statement_pdf(sample_results, kam, month, lang, today=TODAY))[0]
        mine = c[(c["kam"] == kam) & (c["month"] == month) & (c["type"] != "unattributed")]
        assert len(mine) > 0
        for r in mine.itertuples(index=False):
            phone = f"{r.phone[:3]}****{r.phone[7:]}"
            amount = yuan(r.kam_commission)  # a clawback line's kam_commission is already negative
            start = f"{r.signed_date:%Y-%m-%d} | {r.property} | {r.customer_name} | {phone} | "
            assert any(line.startswith(start) and line.endswith(f" | {amount}") for line in page), start
        text = "\n".join(page)
        assert not any(r.phone in text for r in mine.itertuples(index=False)), "full phone numbers printed"


def test_each_assessed_week_of_the_month_is_printed_with_what_was_missing_and_its_fine(sample_results):
    page = lines(statement_pdf(sample_results, "刘洋", "2026-10", "zh", today=TODAY))[0]
    # 刘洋's weeks ending in October, read from the weekly frame: W41 missed batches (11 of 16), 5 × 10 = 50
    w = sample_results.weekly
    mine = w[(w["kam"] == "刘洋") & (w["week"].isin(["2026-W40", "2026-W41", "2026-W42", "2026-W43"]))]
    assert mine[["week", "batches", "batches_short", "fine"]].values.tolist()[1] == [
        "2026-W41",
        11,
        5,
        Decimal("50.00"),
    ]
    assert "2026-W41 | 10-05 – 10-11 | 带访批次缺 5 | -¥50.00" in page
    assert "2026-W40 | 09-28 – 10-04 | 达标 | ¥0.00" in page
    assert "2026-W44" not in "\n".join(page)  # it ends on 11-01: November's


def test_a_month_without_a_statement_row_or_an_unknown_kam_is_refused(sample_results):
    with pytest.raises(NoStatement) as e:
        statement_pdf(sample_results, "刘洋", "2026-12", "en")
    assert (
        e.value.message("en")
        == "刘洋 has no statement for 2026-12 (months with one: 2026-09, 2026-10, 2026-11)"
    )
    with pytest.raises(NoStatement) as e:
        statement_pdf(sample_results, "nobody", "2026-10", "zh")
    assert e.value.message("zh") == "没有名为 'nobody' 的大客户经理"
    with pytest.raises(NoStatement):
        month_pdf(sample_results, "2027-01", "zh")


def test_the_month_pdf_holds_the_kams_asked_for_in_that_order_each_from_a_new_page(sample_results):
    pages = lines(month_pdf(sample_results, "2026-11", "en", kams=["王伟", "刘洋"], today=TODAY))
    assert [p[3] for p in pages] == ["王伟 | 一组 | 2026-11", "刘洋 | 一组 | 2026-11"]


@pytest.fixture
def long_month(upload, compute):
    """张三 with 30 visit deals in October 2026 (each 4,000 × 0.5 = 2,000) and one met week."""
    phones = [f"138{i:08d}" for i in range(1, 31)]
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-28"}])
    upload("leads", [{"reported_at": "2026-10-01 09:00", "kam": "张三", "phone": p} for p in phones])
    upload("visits", [{"visited_at": "2026-10-02 10:00", "kam": "张三", "phone": p, "salesperson": "李"}
                      for p in phones])  # fmt: skip
    upload("deals", [{"signed_at": f"2026-10-{3 + i % 25:02d}", "phone": p, "property": f"{i + 1}栋{i + 101}",
                      "customer_name": f"客户{i + 1}", "salesperson": "李", "salesperson_commission": "4000"}
                     for i, p in enumerate(phones)])  # fmt: skip
    return compute(as_of=dt.date(2026, 10, 31), targets={"units": 0, "batches": 0, "numbers": 0})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_long_month_continues_on_a_second_page_with_the_totals_on_the_last(long_month, lang):
    row = long_month.statement.iloc[0]
    assert (row.kam, row.month, row.commission) == ("张三", "2026-10", Decimal("60000.00"))
    pages = lines(statement_pdf(long_month, "张三", "2026-10", lang, today=TODAY))
    assert len(pages) == 2
    assert pages[0][-1].endswith(WORDS[lang]["page"].format(1, 2))
    assert pages[1][-1].endswith(WORDS[lang]["page"].format(2, 2))
    assert totals_of(pages[0], lang) == {}
    assert totals_of(pages[1], lang) == expected_totals(row)
    deal_lines = [line for page in pages for line in page if line.endswith(" | ¥2,000.00")]
    assert len(deal_lines) == 30
    head = (
        "签约日期 | 房号 | 客户 | 手机号 | 类型 | 金额"
        if lang == "zh"
        else "Signed | Property | Customer | Phone | Type | Amount"
    )
    assert head in pages[0] and head in pages[1]  # the table head is repeated on the continuation page
    signature = "大客户经理签字" if lang == "zh" else "KAM signature"
    assert not any(signature in line for line in pages[0])
    assert any(signature in line for line in pages[1])


RULES = rules_from_dict({"targets": {"units": 0, "batches": 0, "numbers": 1}, "fines": {"numbers": 50}})
REF_PHONE = "138****0001"


@pytest.fixture
def closed_then_changed(store, upload):
    """September closed with 张三's visit deal A-101 (2,000; cancelled 10-20) and W37–W39 met (a lead each, target
    1); then a registry row for the buyer, dated before the lead, takes the credit away."""
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}])
    upload("leads", [{"reported_at": f"2026-09-{d} 10:00", "kam": "张三", "phone": f"1380000000{i}",
                      "customer_name": "赵客户" if i == 1 else None}
                     for i, d in enumerate(("08", "09", "15", "22", "29"), start=1)])  # fmt: skip
    upload(
        "visits",
        [{"visited_at": "2026-09-10 15:00", "kam": "张三", "phone": "13800000001", "salesperson": "李"}],
    )
    upload("deals", [{"signed_at": "2026-09-12", "phone": "13800000001", "property": "A-101", "salesperson": "李",
                      "customer_name": "赵客户", "salesperson_commission": "4000", "status": "退房",
                      "cancelled_at": "2026-10-20"}])  # fmt: skip
    close_month(store, "2026-09", "test", RULES, dt.date(2026, 9, 30))
    upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": "13800000001"}])
    return report.compute(store, RULES, dt.date(2026, 10, 4))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_closed_month_prints_its_frozen_figures_and_lines_marked_closed(closed_then_changed, lang):
    rows = closed_then_changed.statement
    september = rows[rows["month"] == "2026-09"].iloc[0]
    assert (september.commission, september.net, bool(september.closed)) == (
        Decimal("2000.00"),
        Decimal("2000.00"),
        True,
    )
    page = lines(statement_pdf(closed_then_changed, "张三", "2026-09", lang, today=TODAY))[0]
    assert WORDS[lang]["closed"] in page
    assert totals_of(page, lang) == expected_totals(september)
    # The deal no longer earns 张三 anything, but September paid it: the line shows the frozen 2,000, marked as
    # changed in place of its type (the type it had when paid is not known any more).
    assert f"2026-09-12 | A-101 | 赵客户 | {REF_PHONE} | {WORDS[lang]['changed']} | ¥2,000.00" in page


def test_the_open_month_prints_the_adjustment_with_its_reason_and_source_month(closed_then_changed):
    october = closed_then_changed.statement.query("month == '2026-10'").iloc[0]
    assert (october.adjustments, october.net, bool(october.closed)) == (
        Decimal("-2000.00"),
        Decimal("-2000.00"),
        False,
    )
    pages = lines(statement_pdf(closed_then_changed, "张三", "2026-10", "en", today=TODAY))
    text = "\n".join(pages[0])
    assert totals_of(pages[0], "en") == expected_totals(october)
    assert (
        "2026-09 | commission | commission of A-101 · 138****0001 · 2026-09-12 in 2026-09: paid | -¥2,000.00"
    ) in pages[0]
    # the reason wraps within its column, down to why the credit went
    assert any(line.endswith("no KAM credit (every lead was already registered)") for line in pages[0])
    assert "13800000001" not in text


def test_the_frozen_lines_are_the_items_the_close_froze(store, closed_then_changed):
    """The reconstruction from Results (now − every later change) gives back close_items exactly."""
    frozen = (
        store.cursor()
        .execute(
            """select i.kind, i.ref, i.amount from close_items i join closes c using (close_id)
           where c.month = '2026-09' and not i.is_adjustment order by i.kind, i.ref"""
        )
        .fetchall()
    )
    s = statement_of(closed_then_changed, "张三", "2026-09", "en")
    shown = sorted(
        [("commission", f"{d.property} · {d.phone}", d.amount) for d in s.commissions]
        + [("fine", f.week, -f.amount) for f in s.fines]
    )
    assert shown == sorted(
        (kind, ref.rsplit(" · ", 1)[0].replace("13800000001", REF_PHONE), amount)
        for kind, ref, amount in frozen
    )
    assert s.rest == {}


def test_frozen_amounts_results_cannot_itemise_get_one_line_so_the_lines_still_add_up(closed_then_changed):
    """Results trimmed of the adjustments (a caller's filter): September's frozen 2,000 can no longer be traced
    to its deal, so the commission section shows it as one line and its subtotal is still the frozen figure."""
    trimmed = dataclasses.replace(closed_then_changed, adjustments=closed_then_changed.adjustments.iloc[0:0])
    page = lines(statement_pdf(trimmed, "张三", "2026-09", "en", today=TODAY))[0]
    assert "other: part of the frozen amount that cannot be itemised | ¥2,000.00" in page
    assert "Subtotal | ¥2,000.00" in page
    assert totals_of(page, "en")["commission"] == "¥2,000.00"


def test_without_a_cjk_font_the_error_names_the_package_to_install(sample_results, monkeypatch):
    monkeypatch.setattr(module, "_fc_match", lambda style: None)
    monkeypatch.setattr(module, "_KNOWN", {"": ("/nonexistent/a.ttc",), "B": ()})
    module.find_font.cache_clear()
    try:
        with pytest.raises(FontMissing) as e:
            statement_pdf(sample_results, "刘洋", "2026-10", "zh")
        assert "fonts-noto-cjk" in e.value.message("zh") and "fonts-noto-cjk" in e.value.message("en")
    finally:
        module.find_font.cache_clear()


def test_the_font_is_found_at_its_known_path_without_fc_match(monkeypatch):
    monkeypatch.setattr(module, "_fc_match", lambda style: None)
    module.find_font.cache_clear()
    try:
        from fontTools.ttLib import TTFont

        face = module.find_font("B")
        assert Path(face.path).name == "NotoSansCJK-Bold.ttc"
        assert (
            TTFont(face.path, fontNumber=face.index, lazy=True)["name"].getDebugName(1) == "Noto Sans CJK SC"
        )
    finally:
        module.find_font.cache_clear()


def test_the_sample_closed_then_changed_prints_every_row_with_lines_that_add_up(sample_folder, tmp_path):
    """September and October of the sample closed, then a registry row takes 王伟's visit deal of 09-29 away:
    every statement still prints its row, each section's lines add up to it, and November pays the change."""
    shutil.copytree(sample_folder, tmp_path / "s")
    store = Store(tmp_path / "s" / "kam.duckdb")
    try:
        close_month(store, "2026-09", "test")
        close_month(store, "2026-10", "test")
        store.ingest(
            write_csv(tmp_path / "客户登记.csv", "registrations", [{"registered_at": "2026-09-01 09:00",
                                                                 "phone": "15666713244"}])
        )  # fmt: skip
        results = report.compute(store)
    finally:
        store.close()
    rows = results.statement
    wang = rows[rows["kam"] == "王伟"].set_index("month")
    # 5栋2003 (visit deal of 2026-09-29, 2,500) stays paid in the frozen September; November takes it back.
    assert (wang.loc["2026-09", "commission"], bool(wang.loc["2026-09", "closed"])) == (
        Decimal("2700.00"),
        True,
    )
    assert wang.loc["2026-11", "adjustments"] == Decimal("-2500.00")
    for row in rows.itertuples(index=False):
        s = statement_of(results, row.kam, row.month, "zh")
        assert s.rest == {}, (row.kam, row.month)
    for month, lang in [("2026-09", "zh"), ("2026-11", "en")]:
        got = statements_in(lines(month_pdf(results, month, lang, today=TODAY)), lang)
        for row in rows[rows["month"] == month].itertuples(index=False):
            page = got[(row.kam, month)][-1]
            assert totals_of(page, lang) == expected_totals(row), (row.kam, month)
            assert WORDS[lang]["closed" if row.closed else "provisional"] in got[(row.kam, month)][0]
    page = lines(statement_pdf(results, "王伟", "2026-09", "zh", today=TODAY))[0]
    assert "2026-09-29 | 5栋2003 | 叶涛 | 156****3244 | * 已变化 | ¥2,500.00" in page
    assert "2026-09-10 | 2栋2603 | 曹磊 | 177****5354 | 号码成交 | ¥200.00" in page  # unchanged: its type
