"""The rules sheet (SPEC §7 v1.2): key, value, effective_from; the base keys in §6's order, then each change."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from kam_metrics.contract.rules import Rules, RuleSet, rules_from_dict
from kam_metrics.export.rules_sheet import RULE_ORDER, rules_rows
from tests.kam_metrics.export.test_bulk import cells, written

DEFAULTS_EN = [
    ("key", "value", "effective_from"),
    ("week_start", "monday", None),
    ("warn_after_weeks", "2", None),
    ("review_after_weeks", "4", None),
    ("protection_days", "0", None),
    ("min_lead_minutes", "0", None),
    ("excused_weeks", None, None),
    ("targets.units", "3", None),
    ("targets.batches", "16", None),
    ("targets.numbers", "100", None),
    ("fines.units", "100", None),
    ("fines.batches", "10", None),
    ("fines.numbers", "1", None),
    ("commission.visit_share", "0.5", None),
    ("commission.visit_share_source", "salesperson", None),
    ("commission.lead_deal_fixed", "200", None),
]
DEFAULTS_ZH = [
    ("规则项", "值", "生效日期"),
    ("每周起始日", "周一", None),
    ("连续未达标几周预警", "2", None),
    ("连续未达标几周辞退评估", "4", None),
    ("归属保护天数（0 为永久）", "0", None),
    ("报备至少提前分钟数（防截客，0 为不限）", "0", None),
    ("免考核周", None, None),
    ("拓展单位目标", "3", None),
    ("带访批次目标", "16", None),
    ("诚意客户号码目标", "100", None),
    ("拓展单位罚款", "100", None),
    ("带访批次罚款", "10", None),
    ("诚意客户号码罚款", "1", None),
    ("带访成交分成比例", "0.5", None),
    ("带访分成来源", "从置业顾问佣金中分出", None),
    ("号码成交固定佣金", "200", None),
]


def rules_sheet(data: bytes, title: str) -> list[tuple]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[title]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "cell_by_cell"])
@pytest.mark.parametrize(
    ("lang", "title", "rows"), [("en", "rules", DEFAULTS_EN), ("zh", "规则", DEFAULTS_ZH)]
)
def test_the_rules_sheet_lists_the_base_rules_in_the_order_of_the_rules_file_with_no_effective_date(
    mixed_results, lang, title, rows, bulk
):
    assert rules_sheet(written(mixed_results, bulk, lang), title) == rows


def test_chinese_rule_values_that_are_codes_are_words_and_lists_are_text(mixed_results):
    rules = rules_from_dict(
        {
            "week_start": "sunday",
            "excused_weeks": ["2027-02-10", "2027-W08"],
            "commission": {"visit_share_source": "company", "visit_share": 0.35},
        }
    )
    changed = dataclasses.replace(mixed_results, rules=rules, rule_versions=RuleSet(base=rules))
    en = {r[0]: r[1] for r in rules_sheet(written(changed, True, "en"), "rules")}
    zh = {r[0]: r[1] for r in rules_sheet(written(changed, True, "zh"), "规则")}
    assert (en["week_start"], en["excused_weeks"], en["commission.visit_share_source"]) == (
        "sunday",
        "2027-02-10, 2027-W08",
        "company",
    )
    assert en["commission.visit_share"] == "0.35"
    assert (zh["每周起始日"], zh["免考核周"], zh["带访分成来源"], zh["带访成交分成比例"]) == (
        "周日",
        "2027-02-10, 2027-W08",
        "由公司另付",
        "0.35",
    )
    assert cells(written(changed, True, "zh")) == cells(written(changed, False, "zh"))


def test_rule_versions_follow_the_base_in_date_order_each_with_its_keys_in_file_order():
    changes = [
        (dt.date(2027, 3, 1), {"commission.lead_deal_fixed": Decimal(300), "warn_after_weeks": 3}),
        (dt.date(2027, 1, 25), {"targets": {"numbers": 60}, "fines": {"numbers": 0.5}}),
    ]
    frame = rules_rows(Rules(), changes)
    assert list(frame.columns) == ["key", "value", "effective_from"]
    rows = [tuple(r) for r in frame.itertuples(index=False)]
    assert rows[:15] == [(k, "" if v is None else v, None) for k, v, _ in DEFAULTS_EN[1:]]
    assert rows[15:] == [
        ("targets.numbers", "60", dt.date(2027, 1, 25)),
        ("fines.numbers", "0.5", dt.date(2027, 1, 25)),
        ("warn_after_weeks", "3", dt.date(2027, 3, 1)),
        ("commission.lead_deal_fixed", "300", dt.date(2027, 3, 1)),
    ]


def test_a_key_the_order_does_not_know_follows_the_known_keys():
    rows = rules_rows(Rules(), [(dt.date(2027, 1, 4), {"new_key": 1, "min_lead_minutes": 30})])
    assert [tuple(r) for r in rows.itertuples(index=False)][15:] == [
        ("min_lead_minutes", "30", dt.date(2027, 1, 4)),
        ("new_key", "1", dt.date(2027, 1, 4)),
    ]


def test_the_order_is_the_rules_files_and_covers_every_rule_key():
    assert [key for key, _ in Rules().flat()] == list(RULE_ORDER)


def test_the_rules_sheet_of_a_report_lists_the_changes_it_was_computed_with(store, upload):
    from kam_metrics.contract.rules import parse_ruleset_text
    from kam_metrics.engine import report
    from kam_metrics.export.workbook import write_workbook

    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": "13800000001"}])
    rules = parse_ruleset_text(
        "[[changes]]\neffective_from = 2026-11-09\ntargets = { numbers = 60 }\nmin_lead_minutes = 30\n"
    )
    buffer = io.BytesIO()
    write_workbook(report.compute(store, rules), buffer, "en")
    assert rules_sheet(buffer.getvalue(), "rules")[len(DEFAULTS_EN) :] == [
        ("min_lead_minutes", "30", dt.datetime(2026, 11, 9)),
        ("targets.numbers", "60", dt.datetime(2026, 11, 9)),
    ]
