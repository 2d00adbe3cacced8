"""With Chinese labels every code of the result workbook is its Chinese word; with English labels the code (SPEC §7)."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pandas as pd
import pytest

from kam_metrics.contract.codes import (
    DEAL_TYPES,
    FLAGS,
    LEAD_STATUSES,
    UNATTRIBUTED_REASONS,
    UNIT_STATUSES,
    VISIT_STATUSES,
)
from kam_metrics.export.words import code_words
from kam_metrics.i18n import t
from tests.kam_metrics.export.test_bulk import written

# The words of SPEC §3/§4 (statuses, types, flags) and of the dashboard (reasons, rule keys), written out
# here so that a changed locale word fails a test.
STATUS = {
    "registry_overlap": "已在案场登记",
    "duplicate_own": "重复报备",
    "owned_by_other": "他人已报备",
    "valid": "有效",
    "not_reported": "未提前报备",
    "reported_too_late": "报备过晚",
    "no_valid_claim": "报备无效",
    "not_first_visit": "非首访",
    "duplicate_visit": "重复带访",
    "name_mismatch": "信息不符",
    "no_handover": "未转交置业顾问",
    "no_photo": "无照片",
    "duplicate_unit": "重复单位",
}
TYPE = {"visit_deal": "带访成交", "lead_deal": "号码成交", "unattributed": "无归属"}
REASON = {
    "no_lead": "成交前无报备",
    "registry_overlap": "报备均已在案场登记",
    "claim_lapsed": "归属已过期",
    "adjudicated": "已裁定",
}
LINE = {"commission": "佣金", "clawback": "追回"}
FLAG = {"warning": "预警", "dismissal_review": "辞退评估"}
BOOLEAN = {True: "是", False: "否"}
UNKNOWN = "code_without_a_word"  # a code the locale files do not know (yet) is written as it is

# sheet → {SPEC column: its codes' words}: every column the Chinese workbook changes, and nothing else.
CODE_COLUMNS = {
    "summary": {"flag": FLAG},
    "weekly": {"met": BOOLEAN, "flag": FLAG, "in_progress": BOOLEAN},
    "commissions": {"type": TYPE, "reason": REASON, "line": LINE},
    "leads": {"status": STATUS},
    "visits": {"status": STATUS},
    "units": {"status": STATUS},
}
SHEET_COLUMNS = {
    "summary": ["kam", "team", "weeks_assessed", "weeks_met", "fines_total", "commission_total"]
    + ["clawback_total", "net_total", "missed_streak", "flag"],
    "weekly": ["kam", "week", "week_start", "units", "batches", "numbers", "units_short", "batches_short"]
    + ["numbers_short", "fine", "met", "missed_streak", "flag", "in_progress"],
    "commissions": ["kam", "phone", "property", "signed_at", "salesperson", "salesperson_commission", "type"]
    + ["reason", "kam_commission", "salesperson_net", "line", "month"],
    "leads": ["kam", "phone", "customer_name", "reported_at", "status"],
    "visits": ["kam", "phone", "customer_name", "visited_at", "salesperson", "status"],
    "units": ["kam", "date", "unit_name", "status"],
}


def _cycled(codes, n: int) -> list:
    codes = list(codes)
    return [codes[i % len(codes)] for i in range(n)]


def _with_codes(frame: pd.DataFrame, **columns) -> pd.DataFrame:
    changed = frame.copy()
    for column, codes in columns.items():
        changed[column] = _cycled(codes, len(changed))
    return changed


@pytest.fixture(scope="module")
def every_code(mixed_results):
    """The test data with every code of SPEC §3/§4/§7 (and one unknown code) cycled through its columns."""
    r = mixed_results
    return dataclasses.replace(
        r,
        summary=_with_codes(r.summary, flag=["dismissal_review", "", "warning"]),
        weekly=_with_codes(r.weekly, met=[True, False, False], flag=FLAGS, in_progress=[False, True]),
        commissions=_with_codes(
            r.commissions,
            type=DEAL_TYPES,
            reason=["", *UNATTRIBUTED_REASONS, "adjudicated"],
            line=["commission", "clawback", "commission"],
        ),
        leads=_with_codes(r.leads, status=[*LEAD_STATUSES, UNKNOWN]),
        visits=_with_codes(r.visits, status=["reported_too_late", *VISIT_STATUSES]),
        units=_with_codes(r.units, status=UNIT_STATUSES),
    )


def sheet_rows(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet's rows below the header, as (value, cell type) pairs, by the sheet's position."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {
        ws.title: [tuple((c.value, c.data_type) for c in row) for row in ws.iter_rows(min_row=2)]
        for ws in wb.worksheets
    }


def _shown_in_chinese(sheet: str, row: tuple) -> tuple:
    """An English workbook's row as the Chinese workbook must show it: only the code columns change."""
    words = CODE_COLUMNS.get(sheet, {})
    out = []
    for name, (value, kind) in zip(SHEET_COLUMNS[sheet], row, strict=True):
        if name in words and value is not None:
            out.append((words[name].get(value, value), "s"))
        else:
            out.append((value, kind))
    return tuple(out)


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "cell_by_cell"])
@pytest.mark.parametrize("sheet", list(SHEET_COLUMNS))
def test_the_chinese_workbook_differs_from_the_english_one_only_by_the_words_of_its_codes(
    every_code, sheet, bulk
):
    en = sheet_rows(written(every_code, bulk, "en"))[t(f"sheet.{sheet}", "en")]
    zh = sheet_rows(written(every_code, bulk, "zh"))[t(f"sheet.{sheet}", "zh")]
    assert en
    assert zh == [_shown_in_chinese(sheet, row) for row in en]


def test_the_english_workbook_writes_every_code_as_it_is(every_code):
    rows = sheet_rows(written(every_code, True, "en"))
    assert [r[4][0] for r in rows["leads"]] == _cycled([*LEAD_STATUSES, UNKNOWN], 9)
    assert [r[5][0] for r in rows["visits"]] == ["reported_too_late", "not_reported"]
    assert [r[7][0] for r in rows["commissions"]] == [None, "no_lead", "registry_overlap", "claim_lapsed"]
    assert [(r[10], r[13]) for r in rows["weekly"][:3]] == [
        ((True, "b"), (False, "b")),
        ((False, "b"), (True, "b")),
        ((False, "b"), (False, "b")),
    ]


def test_chinese_lead_rows_show_status_words_and_keep_an_unknown_code(every_code):
    leads = sheet_rows(written(every_code, True, "zh"))["报备"]
    assert [tuple(v for v, _ in row) for row in leads[:5]] == [
        ("张三", "13800000000", '=HYPERLINK("http://x","y")', leads[0][3][0], "已在案场登记"),
        ("张三", "13800000001", "+张三", leads[1][3][0], "重复报备"),
        ("李四", "13900000001", "赵先生", leads[2][3][0], "他人已报备"),
        ("张三", "13800000002", "-李四", leads[3][3][0], "有效"),
        ("张三", "13800000003", "@王五", leads[4][3][0], UNKNOWN),
    ]


def test_chinese_commission_rows_show_type_reason_and_line_words(every_code):
    rows = sheet_rows(written(every_code, True, "zh"))["佣金明细"]
    assert [(r[0][0], r[6][0], r[7][0], r[10][0]) for r in rows] == [
        ("张三", "带访成交", None, "佣金"),
        ("李四", "号码成交", "成交前无报备", "追回"),
        ("李四", "无归属", "报备均已在案场登记", "佣金"),
        (None, "带访成交", "归属已过期", "佣金"),
    ]


def test_chinese_weekly_booleans_are_the_text_shi_and_fou_and_an_empty_flag_stays_empty(every_code):
    rows = sheet_rows(written(every_code, True, "zh"))["周考核"]
    assert [(r[10], r[12], r[13]) for r in rows[:3]] == [
        (("是", "s"), (None, "n"), ("否", "s")),
        (("否", "s"), ("预警", "s"), ("是", "s")),
        (("否", "s"), ("辞退评估", "s"), ("否", "s")),
    ]


def test_every_code_of_the_engine_has_a_chinese_word():
    codes = {
        "status.": {*LEAD_STATUSES, *VISIT_STATUSES, *UNIT_STATUSES, "reported_too_late"},
        "type.": set(DEAL_TYPES),
        "reason.": {*UNATTRIBUTED_REASONS, "adjudicated"},
        "flag.": set(FLAGS) - {""},
    }
    expected = {"status.": STATUS, "type.": TYPE, "reason.": REASON, "flag.": FLAG}
    for prefix, known in codes.items():
        assert {code: t(prefix + code, "zh") for code in known} == expected[prefix], prefix


def test_the_v1_2_code_columns_get_their_words_once_the_engine_fills_them():
    """statement.closed, adjustments.kind and the adjudications' kind, verdict and orphaned (SPEC §7 v1.2)."""
    statement = pd.DataFrame(
        {"kam": ["张三", "张三"], "month": ["2026-10", "2026-11"], "closed": [True, False]}
    )
    adjustments = pd.DataFrame({"kam": ["张三"] * 3, "kind": ["commission", "clawback", "fine"]})
    adjudications = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "kind": ["lead", "visit", "unit", "deal"],
            "verdict": ["valid", "no_handover", "duplicate_unit", "lead_deal"],
            "orphaned": [False, True, False, False],
        }
    )
    assert code_words("statement", statement, "zh").to_dict("records") == [
        {"kam": "张三", "month": "2026-10", "closed": "是"},
        {"kam": "张三", "month": "2026-11", "closed": "否"},
    ]
    assert code_words("adjustments", adjustments, "zh")["kind"].tolist() == ["佣金", "追回", "罚款"]
    assert code_words("adjudications", adjudications, "zh").to_dict("records") == [
        {"id": 1, "kind": "报备", "verdict": "有效", "orphaned": "否"},
        {"id": 2, "kind": "带访", "verdict": "未转交置业顾问", "orphaned": "是"},
        {"id": 3, "kind": "拓展单位", "verdict": "重复单位", "orphaned": "否"},
        {"id": 4, "kind": "成交", "verdict": "号码成交", "orphaned": "否"},
    ]
    for sheet, frame in [
        ("statement", statement),
        ("adjustments", adjustments),
        ("adjudications", adjudications),
    ]:
        assert code_words(sheet, frame, "en") is frame  # English: the codes as they are


def test_a_missing_code_stays_missing_in_chinese():
    frame = pd.DataFrame({"kam": ["张三", "李四"], "status": ["valid", None]})
    shown = code_words("leads", frame, "zh")["status"]
    assert (shown[0], shown.isna().tolist()) == ("有效", [False, True])
