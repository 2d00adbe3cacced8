"""kam_metrics.present.rules: a saved edit split into a new base (week_start, excused_weeks) and one change."""

from __future__ import annotations

import datetime as dt

from kam_metrics.contract.rules import Rules, RuleSet, ruleset_from_dict
from kam_metrics.ingest import rules_table
from kam_metrics.present import rules


def test_only_the_changed_keys_are_saved_with_their_typed_values():
    edited = rules.rules_from_form(dict(_form(Rules())) | {"targets.units": 5, "fines.units": 150.5})
    assert rules.changed_values(Rules(), edited) == {"targets.units": 5, "fines.units": edited.fines.units}
    assert str(edited.fines.units) == "150.5"


def test_week_start_and_excused_weeks_replace_the_base_and_keep_every_stored_change(store):
    ruleset = ruleset_from_dict(
        {"changes": [{"effective_from": dt.date(2026, 10, 5), "targets": {"units": 2}}]}
    )
    changed = {"week_start": "tuesday", "excused_weeks": ("2026-W40",), "targets.numbers": 60}
    base, versioned = rules.with_base(ruleset, changed)
    assert (base.base.week_start, base.base.excused_weeks) == ("tuesday", ("2026-W40",))
    assert [(c.effective_from, c.values) for c in base.changes] == [
        (dt.date(2026, 10, 5), {"targets": {"units": 2}})
    ]
    assert versioned == {"targets.numbers": 60}
    rules_table.set_rules(store, base, by="test")
    rules_table.add_change(store, dt.date(2026, 11, 2), versioned, by="test")
    stored = rules_table.stored_rules(store)
    assert stored.base.week_start == "tuesday"
    assert stored.in_force(dt.date(2026, 11, 2)).targets.numbers == 60
    assert stored.in_force(dt.date(2026, 11, 1)).targets.numbers == 100


def test_an_edit_of_versionable_keys_only_keeps_the_base():
    assert rules.with_base(RuleSet(), {"targets.units": 5}) == (None, {"targets.units": 5})


def test_scheduled_lists_the_changes_after_as_of():
    ruleset = ruleset_from_dict(
        {
            "changes": [
                {"effective_from": dt.date(2026, 10, 5), "targets": {"units": 2}},
                {"effective_from": dt.date(2026, 12, 7), "targets": {"units": 5}, "warn_after_weeks": 3},
            ]
        }
    )
    assert rules.scheduled(ruleset, dt.date(2026, 11, 30), "zh") == [
        "已排定的修改，自 2026-12-07 起：拓展单位目标 = 5、连续未达标几周预警 = 3"
    ]


def _form(r: Rules) -> dict:
    out = {}
    for key, _ in r.flat():
        parent, _, leaf = key.rpartition(".")
        out[key] = getattr(getattr(r, parent), leaf) if parent else getattr(r, key)
    out["excused_weeks"] = ""
    for key in ("fines.units", "fines.batches", "fines.numbers", "commission.visit_share"):
        out[key] = float(out[key])
    return out
