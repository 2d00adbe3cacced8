"""kam_metrics.present.rules: the rules form, its errors, the changes and the what-if."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam_metrics.access.roles import LOCAL
from kam_metrics.contract.rules import Rules, RulesError
from kam_metrics.present import rules


def _form(rules: Rules) -> dict:
    values = dict(rules.flat())
    out = {}
    for key in values:
        parent, _, leaf = key.rpartition(".")
        out[key] = getattr(getattr(rules, parent), leaf) if parent else getattr(rules, key)
    out["excused_weeks"] = ""
    for key in ("fines.units", "fines.batches", "fines.numbers", "commission.visit_share"):
        out[key] = float(out[key])
    return out


def test_rules_from_form_reads_the_forms_values_back_into_equal_rules():
    assert rules.rules_from_form(_form(Rules())) == Rules()


def test_rules_from_form_reads_excused_weeks_from_text():
    values = _form(Rules()) | {"excused_weeks": "2027-02-10，2027-W08"}
    assert rules.rules_from_form(values).excused_weeks == ("2027-02-10", "2027-W08")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("targets.units", -1),
        ("commission.visit_share", 1.5),
        ("fines.batches", -10.0),
        ("excused_weeks", "2027-13"),
    ],
)
def test_a_bad_form_value_is_refused_naming_its_key(key, value):
    with pytest.raises(RulesError) as error:
        rules.rules_from_form(_form(Rules()) | {key: value})
    assert key in str(error.value)
    line = rules.rules_error_lines(error.value, "zh")[0]
    assert f"({key})" in line


def test_rules_changes_lists_only_changed_keys():
    edited = rules.rules_from_form(_form(Rules()) | {"targets.units": 5})
    assert rules.rules_changes(Rules(), edited, "zh").values.tolist() == [
        ["拓展单位目标 (targets.units)", "3", "5"]
    ]


def test_whatif_shows_fines_commission_and_flags_under_both_rules_side_by_side(story, compute):
    edited = compute(fines={"units": 200}, review_after_weeks=2, commission={"visit_share": 0.25})
    table = rules.whatif(story, edited, "zh")
    wang = table[table["大客户经理"] == "王伟"].iloc[0]
    assert wang[["罚款（当前）", "罚款（修改后）", "罚款变化"]].tolist() == [
        "¥1,009.00",
        "¥1,509.00",
        "¥500.00",
    ]
    assert wang[["佣金（当前）", "佣金（修改后）", "佣金变化"]].tolist() == [
        "¥2,000.00",
        "¥1,000.00",
        "-¥1,000.00",
    ]
    assert wang[["标记（当前）", "标记（修改后）"]].tolist() == ["预警", "辞退评估"]
    totals = rules.whatif_totals(story, edited)
    assert (totals["fines_now"], totals["fines_new"]) == (Decimal("2129.00"), Decimal("3229.00"))
    assert (totals["flagged_now"], totals["flagged_new"]) == (2, 2)


def test_the_rules_view_without_edits_shows_no_changes_and_no_what_if(story):
    shown = rules.view(story, LOCAL, "zh")
    assert shown.edited == Rules() and shown.errors == []
    assert shown.changes.empty and shown.totals is None and shown.whatif is None


def test_the_rules_view_of_an_edited_form_compares_both_rule_sets(story, compute):
    form = _form(Rules()) | {"fines.units": 200.0}
    shown = rules.view(
        story, LOCAL, "zh", form=form, results_for=lambda edited: compute(fines={"units": 200})
    )
    assert shown.changes.values.tolist() == [["拓展单位罚款 (fines.units)", "100", "200"]]
    assert shown.totals == {
        "fines": rules.Total(value="¥3,229.00", delta="¥1,100.00", changed=True),
        "commission": rules.Total(value="¥2,000.00", delta="¥0.00", changed=False),
        "flagged": rules.Total(value="2", delta="0", changed=False),
    }
    assert len(shown.whatif) == 2


def test_the_rules_view_of_a_refused_form_gives_the_error_lines_and_nothing_to_save(story):
    shown = rules.view(story, LOCAL, "zh", form=_form(Rules()) | {"targets.units": -1})
    assert shown.edited is None and shown.changes is None
    assert len(shown.errors) == 1 and "(targets.units)" in shown.errors[0]
