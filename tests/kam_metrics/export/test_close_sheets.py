"""The v1.2 columns and sheet of SPEC §7 for §9: statement adjustments/closed, adjustments_total, the adjustments
sheet, and cancelled_at on clawback lines, read back from the written workbook in English and Chinese."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from kam_metrics.contract.rules import rules_from_dict
from kam_metrics.engine import report
from kam_metrics.export.workbook import write_workbook
from kam_metrics.ingest.closes import close_month

RULES = rules_from_dict({"targets": {"units": 0, "batches": 0, "numbers": 1}, "fines": {"numbers": 50}})
TODAY = dt.date.today().isoformat()
REF = "A-101 · 13800000001 · 2026-09-12"


@pytest.fixture
def closed_then_changed(store, upload):
    """September closed with 张三's visit deal (2,000, cancelled 10-20); then a registry row for the buyer."""
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}])
    upload("leads", [{"reported_at": f"2026-09-{d} 10:00", "kam": "张三", "phone": f"1380000000{i}"}
                     for i, d in enumerate(("08", "09", "15", "22", "29"), start=1)])  # fmt: skip
    upload(
        "visits",
        [{"visited_at": "2026-09-10 15:00", "kam": "张三", "phone": "13800000001", "salesperson": "李"}],
    )
    upload("deals", [{"signed_at": "2026-09-12", "phone": "13800000001", "property": "A-101", "salesperson": "李",
                      "salesperson_commission": "4000", "status": "退房", "cancelled_at": "2026-10-20"}])  # fmt: skip
    close_month(store, "2026-09", "test", RULES, dt.date(2026, 9, 30))
    upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": "13800000001"}])
    return report.compute(store, RULES, dt.date(2026, 10, 4))


def sheets(results, lang: str, bulk: bool) -> dict[str, list[tuple]]:
    out = io.BytesIO()
    write_workbook(results, out, lang, bulk=bulk)
    wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "cell_by_cell"])
def test_the_english_workbook_shows_the_frozen_month_and_the_open_months_adjustment_with_its_reason(
    closed_then_changed, bulk
):
    got = sheets(closed_then_changed, "en", bulk)
    assert got["adjustments"] == [
        ("kam", "month", "source_month", "kind", "ref", "amount", "reason"),
        ("张三", "2026-10", "2026-09", "commission", REF, -2000,
         f"commission of {REF} in 2026-09: paid 2,000.00, now 0.00 — registry row of 2026-09-07 uploaded on "
         f"{TODAY}: no KAM credit (every lead was already registered)"),
    ]  # fmt: skip
    # October: the clawback of a deal that is no longer 张三's is gone; W40 (09-28…10-04) met
    assert got["statement"] == [
        ("kam", "month", "commission", "clawback", "fines", "adjustments", "net", "closed"),
        ("张三", "2026-09", 2000, 0, 0, 0, 2000, True),
        ("张三", "2026-10", 0, 0, 0, -2000, -2000, False),
    ]
    summary = dict(zip(got["summary"][0], got["summary"][1], strict=True))
    assert (summary["commission_total"], summary["adjustments_total"], summary["net_total"]) == (
        2000,
        -2000,
        0,
    )


def test_the_chinese_workbook_shows_the_adjustments_sheet_in_words(closed_then_changed):
    got = sheets(closed_then_changed, "zh", bulk=True)
    assert got["调整明细"] == [
        ("大客户经理", "月份", "来源月份", "类别", "对象", "调整金额", "原因"),
        ("张三", "2026-10", "2026-09", "佣金", REF, -2000,
         f"{REF} 在 2026-09 的佣金：已付 2,000.00，现为 0.00——{TODAY} 上传的 2026-09-07 案场登记记录："
         "不再计入大客户经理（报备均已在案场登记）"),
    ]  # fmt: skip
    assert got["月度结算"][0][-3:] == ("调整", "净额", "已月结")
    assert [r[-1] for r in got["月度结算"][1:]] == ["是", "否"]


def test_cancelled_at_is_filled_on_clawback_lines_only(store, upload):
    upload("leads", [{"reported_at": "2026-09-08 10:00", "kam": "张三", "phone": "13800000001"}])
    upload("deals", [{"signed_at": "2026-09-12", "phone": "13800000001", "property": "A-101", "salesperson": "李",
                      "salesperson_commission": "4000", "status": "退房", "cancelled_at": "2026-10-20"}])  # fmt: skip
    got = sheets(report.compute(store, RULES), "en", bulk=True)["commissions"]
    header = got[0]
    lines = [dict(zip(header, r, strict=True)) for r in got[1:]]
    assert [(r["line"], r["month"], r["cancelled_at"]) for r in lines] == [
        ("commission", "2026-09", None),
        ("clawback", "2026-10", dt.datetime(2026, 10, 20)),
    ]
