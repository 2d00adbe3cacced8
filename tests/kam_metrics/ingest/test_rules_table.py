"""The rules kept in the store (SPEC §6 v1.2): versions with history, the dashboard's one-change save, the import
of the old rules file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam_metrics.contract.rules import Rules, RulesError, RuleSet, parse_ruleset_text
from kam_metrics.ingest import rules_table

TWO_VERSIONS = """\
protection_days = 3
[[changes]]
effective_from = 2027-01-25
targets = { numbers = 60 }
"""


def test_a_store_without_stored_rules_has_the_defaults(store):
    assert rules_table.stored_rules(store) == RuleSet()
    assert rules_table.history(store).empty


def test_set_rules_stores_the_base_and_each_change_and_reads_back_equal(store):
    rules = parse_ruleset_text(TWO_VERSIONS)
    before = store.version()
    rules_table.set_rules(store, rules, "cli:director")
    assert rules_table.stored_rules(store) == rules
    assert store.version() == before + 1  # the dashboard's caches refresh
    history = rules_table.history(store)
    assert history[["version_id", "effective_from", "saved_by"]].values.tolist() == [
        [1, None, "cli:director"],
        [2, dt.date(2027, 1, 25), "cli:director"],
    ]
    assert history["body"].tolist()[1] == "targets = { numbers = 60 }\n"


def test_set_rules_replaces_every_version_and_keeps_the_old_ones_in_the_history(store):
    rules_table.set_rules(store, parse_ruleset_text(TWO_VERSIONS), "a")
    rules_table.set_rules(store, Rules(warn_after_weeks=3), "b")
    assert rules_table.stored_rules(store) == RuleSet(base=Rules(warn_after_weeks=3))
    history = rules_table.history(store)
    assert history["saved_by"].tolist() == ["a", "a", "b"]
    assert history["replaced_at"].isna().tolist() == [False, False, True]


def test_add_change_stores_one_new_change_over_the_stored_versions(store):
    rules_table.set_rules(store, parse_ruleset_text(TWO_VERSIONS), "a")
    updated = rules_table.add_change(
        store, dt.date(2027, 3, 1), {"fines.numbers": 0.5, "min_lead_minutes": 30}, "b"
    )
    assert rules_table.stored_rules(store) == updated
    assert [c.effective_from for c in updated.changes] == [dt.date(2027, 1, 25), dt.date(2027, 3, 1)]
    march = updated.in_force(dt.date(2027, 3, 1))
    assert (march.protection_days, march.targets.numbers, march.fines.numbers, march.min_lead_minutes) == (
        3, 60, Decimal("0.5"), 30)  # fmt: skip
    assert rules_table.history(store)["replaced_at"].isna().tolist() == [True, True, True]


def test_a_second_save_for_the_same_date_adds_its_keys_to_that_change(store):
    rules_table.add_change(store, dt.date(2027, 3, 1), {"targets": {"numbers": 60}}, "a")
    updated = rules_table.add_change(
        store, dt.date(2027, 3, 1), {"targets": {"units": 2}, "warn_after_weeks": 3}, "a"
    )
    assert [(c.effective_from, c.values) for c in updated.changes] == [
        (dt.date(2027, 3, 1), {"targets": {"numbers": 60, "units": 2}, "warn_after_weeks": 3})
    ]
    history = rules_table.history(store)  # the base in force (defaults) was recorded with the first save
    assert history["effective_from"].tolist()[0] is None
    assert history["replaced_at"].isna().tolist() == [True, False, True]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"week_start": "sunday"}, "[[changes]] 2027-03-01 (#1): week_start: not versionable"),
        ({"targets.numbers": -1}, "[[changes]] 2027-03-01 (#1): targets.numbers: Input should be greater"),
        ({"colour": 1}, "[[changes]] 2027-03-01 (#1): colour: unknown key"),
    ],
)
def test_a_bad_change_is_refused_and_nothing_is_stored(store, values, message):
    with pytest.raises(RulesError) as error:
        rules_table.add_change(store, dt.date(2027, 3, 1), values, "a")
    assert error.value.problems[0].startswith(message)
    assert rules_table.history(store).empty


@pytest.mark.parametrize(
    ("as_of", "week_start", "expected"),
    [
        (dt.date(2026, 11, 11), "monday", dt.date(2026, 11, 16)),  # a Wednesday: next Monday
        (dt.date(2026, 11, 16), "monday", dt.date(2026, 11, 23)),  # a Monday: the Monday after
        (dt.date(2026, 11, 15), "monday", dt.date(2026, 11, 16)),  # a Sunday, the week's last day
        (dt.date(2026, 11, 11), "sunday", dt.date(2026, 11, 15)),
    ],
)
def test_a_saved_edit_takes_effect_by_default_from_the_first_day_of_the_week_after_as_of(
    as_of, week_start, expected
):
    assert rules_table.next_week_start(as_of, week_start) == expected


def test_the_old_rules_file_is_imported_once_when_nothing_is_stored(store, tmp_path):
    legacy = tmp_path / "rules.toml"
    legacy.write_text(TWO_VERSIONS, encoding="utf-8")
    assert rules_table.import_legacy_rules_file(store, legacy, "import") is True
    assert rules_table.stored_rules(store) == parse_ruleset_text(TWO_VERSIONS)
    legacy.write_text("protection_days = 9\n", encoding="utf-8")
    assert (
        rules_table.import_legacy_rules_file(store, legacy, "import") is False
    )  # versions are stored already
    assert rules_table.stored_rules(store).base.protection_days == 3


def test_no_old_rules_file_imports_nothing(store, tmp_path):
    assert rules_table.import_legacy_rules_file(store, tmp_path / "rules.toml", "import") is False
    assert rules_table.history(store).empty


def test_a_refused_old_rules_file_stores_nothing(store, tmp_path):
    legacy = tmp_path / "rules.toml"
    legacy.write_text("[targets]\nunits = -1\n", encoding="utf-8")
    with pytest.raises(RulesError, match="targets.units"):
        rules_table.import_legacy_rules_file(store, legacy, "import")
    assert rules_table.history(store).empty
