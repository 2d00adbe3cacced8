"""kam_metrics.present.rules: a refused form value is told in the chosen language, naming the field."""

from __future__ import annotations

import pytest

from kam_metrics.contract.rules import Rules
from kam_metrics.present import rules

BASE = {k: v for k, v in Rules().flat()}


def _refused(values: dict, lang: str) -> list[str]:
    form = {
        "targets.units": 3,
        "targets.batches": 16,
        "targets.numbers": 100,
        "warn_after_weeks": 2,
        "review_after_weeks": 4,
    } | values
    with pytest.raises(rules.FormError) as error:
        rules.rules_from_form(form)
    return rules.rules_error_lines(error.value, lang)


@pytest.mark.parametrize(
    ("values", "zh", "en"),
    [
        (
            {"warn_after_weeks": 0},
            "连续未达标几周预警 (warn_after_weeks)不能小于 1",
            "Warning after missed weeks (warn_after_weeks) must be at least 1",
        ),
        (
            {"commission.visit_share": 1.5},
            "带访成交分成比例 (commission.visit_share)不能大于 1",
            "Visit deal share (commission.visit_share) must be at most 1",
        ),
        (
            {"fines.units": 1.234},
            "拓展单位罚款 (fines.units)最多 2 位小数",
            "Fine per missing unit (fines.units) takes at most 2 decimal places",
        ),
        (
            {"excused_weeks": "2027-02-10, 2027-13"},
            "免考核周 (excused_weeks)：“2027-13”既不是日期（2027-02-10）也不是 ISO 周（2027-W07）",
            'Excused weeks (excused_weeks): "2027-13" is neither a date (2027-02-10) nor an ISO week (2027-W07)',
        ),
    ],
)
def test_a_refused_value_is_one_line_in_each_language_naming_the_field(values, zh, en):
    assert _refused(values, "zh") == [zh]
    assert _refused(values, "en") == [en]


def test_two_refused_values_give_two_lines_and_never_the_validators_english():
    lines = _refused({"targets.units": -1, "warn_after_weeks": 0}, "zh")
    assert lines == [
        "连续未达标几周预警 (warn_after_weeks)不能小于 1",
        "拓展单位目标 (targets.units)不能小于 0",
    ]
    assert not any("Input should" in line for line in _refused({"targets.units": -1}, "en"))
