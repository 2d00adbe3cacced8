"""The rules file (SPEC §6): defaults, validation naming the key, loading from a file, round trip."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal

import pytest

from kam_metrics.contract.rules import (
    RuleChange,
    Rules,
    RulesError,
    RuleSet,
    as_ruleset,
    load_rules,
    load_ruleset,
    parse_rules_text,
    parse_ruleset_text,
    rules_from_dict,
)

# The TOML block of SPEC §6, verbatim.
SPEC_TOML = """\
week_start = "monday"        # or tuesday … sunday
warn_after_weeks = 2
review_after_weeks = 4
protection_days = 0          # 0: a claim never lapses
min_lead_minutes = 0         # 防截客: a visit needs a lead at least this many minutes earlier (0: off)
excused_weeks = []           # e.g. ["2027-02-10", "2027-W08"]
[targets]
units = 3
batches = 16
numbers = 100
[fines]
units = 100
batches = 10
numbers = 1
[commission]
visit_share = 0.5
visit_share_source = "salesperson"   # or "company"
lead_deal_fixed = 200
"""


def test_the_defaults_are_the_toml_block_of_the_spec():
    assert parse_rules_text(SPEC_TOML) == Rules()
    assert rules_from_dict(tomllib.loads(SPEC_TOML)) == Rules()


def test_the_defaults_are_the_documented_numbers():
    rules = Rules()
    assert (rules.week_start, rules.warn_after_weeks, rules.review_after_weeks, rules.protection_days) == (
        "monday",
        2,
        4,
        0,
    )
    assert rules.min_lead_minutes == 0
    assert rules.excused_weeks == ()
    assert (rules.targets.units, rules.targets.batches, rules.targets.numbers) == (3, 16, 100)
    assert (rules.fines.units, rules.fines.batches, rules.fines.numbers) == (
        Decimal(100),
        Decimal(10),
        Decimal(1),
    )
    assert (
        rules.commission.visit_share,
        rules.commission.visit_share_source,
        rules.commission.lead_deal_fixed,
    ) == (Decimal("0.5"), "salesperson", Decimal(200))


def test_an_empty_file_means_the_defaults():
    assert parse_rules_text("") == Rules()


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("colour = 'blue'", "colour"),
        ("[targets]\nvisits = 3", "targets.visits"),
        ("[bonus]\nx = 1", "bonus"),
        ("warn_after_weeks = 'two'", "warn_after_weeks"),
        ("warn_after_weeks = 2.5", "warn_after_weeks"),
        ("review_after_weeks = true", "review_after_weeks"),
        ("protection_days = -1", "protection_days"),
        ("min_lead_minutes = -5", "min_lead_minutes"),
        ("min_lead_minutes = 2.5", "min_lead_minutes"),
        ("excused_weeks = '2027-W07'", "excused_weeks"),
        ("targets = 3", "targets"),
        ("[targets]\nunits = -1", "targets.units"),
        ("[targets]\nbatches = -16", "targets.batches"),
        ("[targets]\nnumbers = '100'", "targets.numbers"),
        ("[fines]\nunits = -100", "fines.units"),
        ("[fines]\nbatches = -0.5", "fines.batches"),
        ("[fines]\nnumbers = 'one'", "fines.numbers"),
        ("[commission]\nvisit_share = 1.5", "commission.visit_share"),
        ("[commission]\nvisit_share = -0.1", "commission.visit_share"),
        ("[commission]\nvisit_share = '0.5'", "commission.visit_share"),
        ("[commission]\nvisit_share_source = 'kam'", "commission.visit_share_source"),
        ("[commission]\nlead_deal_fixed = -200", "commission.lead_deal_fixed"),
        ("week_start = 'mon'", "week_start"),
        ("week_start = 'Funday'", "week_start"),
        ("week_start = 1", "week_start"),
        ("excused_weeks = ['2027-13-01']", "excused_weeks"),
        ("excused_weeks = ['2027-W60']", "excused_weeks"),
        ("excused_weeks = ['next week']", "excused_weeks"),
        ("excused_weeks = [20270210]", "excused_weeks"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_key(toml, key):
    with pytest.raises(RulesError) as error:
        parse_rules_text(toml)
    assert key in str(error.value)


@pytest.mark.parametrize(
    ("toml", "field", "value"),
    [
        ("[commission]\nvisit_share = 0", "visit_share", Decimal(0)),
        ("[commission]\nvisit_share = 1", "visit_share", Decimal(1)),
        ("[commission]\nvisit_share = 0.1", "visit_share", Decimal("0.1")),
        ("[commission]\nvisit_share_source = 'company'", "visit_share_source", "company"),
    ],
)
def test_visit_share_from_zero_to_one_is_accepted_exactly(toml, field, value):
    assert getattr(parse_rules_text(toml).commission, field) == value


@pytest.mark.parametrize(
    "day", ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
)
def test_every_weekday_is_a_valid_week_start(day):
    assert parse_rules_text(f"week_start = '{day}'").week_start == day


def test_excused_weeks_take_dates_and_iso_week_names():
    rules = parse_rules_text('excused_weeks = ["2027-02-10", "2027-W08"]')
    assert rules.excused_weeks == ("2027-02-10", "2027-W08")
    assert [d.isoformat() for d in rules.excused_dates()] == ["2027-02-10", "2027-02-22"]


def test_rules_load_from_a_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        'week_start = "sunday"\nexcused_weeks = ["2027-W07"]\n[targets]\nunits = 5\n[fines]\nbatches = 12.5\n',
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert rules == rules_from_dict(
        {
            "week_start": "sunday",
            "excused_weeks": ["2027-W07"],
            "targets": {"units": 5},
            "fines": {"batches": Decimal("12.5")},
        }
    )
    assert (rules.targets.units, rules.targets.batches, rules.fines.batches) == (5, 16, Decimal("12.5"))


def test_no_file_means_the_defaults():
    assert load_rules(None) == Rules()


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "not found"), ("week_start = ", "TOML"), ("[targets]\nunits = -3\n", "targets.units")],
    ids=["missing", "not_toml", "bad_value"],
)
def test_a_file_that_cannot_be_used_is_refused_with_a_clear_message(tmp_path, content, words):
    path = tmp_path / "rules.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RulesError) as error:
        load_rules(path)
    assert words in str(error.value)


@pytest.mark.parametrize(
    "rules",
    [
        Rules(),
        rules_from_dict(
            {
                "week_start": "thursday",
                "warn_after_weeks": 3,
                "review_after_weeks": 6,
                "protection_days": 30,
                "min_lead_minutes": 45,
                "excused_weeks": ["2027-02-10", "2027-W08"],
                "targets": {"units": 0, "batches": 20, "numbers": 150},
                "fines": {"units": Decimal("99.99"), "batches": Decimal("0.5"), "numbers": 0},
                "commission": {
                    "visit_share": Decimal("0.35"),
                    "visit_share_source": "company",
                    "lead_deal_fixed": Decimal("250.50"),
                },
            }
        ),
    ],
    ids=["defaults", "every_key_changed"],
)
def test_to_toml_loads_back_to_equal_rules(rules, tmp_path):
    assert parse_rules_text(rules.to_toml()) == rules
    path = tmp_path / "rules.toml"
    path.write_text(rules.to_toml(), encoding="utf-8")
    assert load_rules(path) == rules


# ---------------------------------------------------------------------------------------------------
# Rule versions (SPEC §6 v1.2): [[changes]] tables after the base

# The example of SPEC §6, after a base that changes one key.
VERSIONS_TOML = """\
review_after_weeks = 5

[[changes]]
effective_from = 2027-03-01
commission = { lead_deal_fixed = 300 }
min_lead_minutes = 30

[[changes]]
effective_from = 2027-01-25
targets = { numbers = 60 }
fines = { numbers = 0.5 }
"""


def test_the_version_in_force_on_a_date_is_the_base_updated_by_every_change_up_to_it_in_date_order():
    rules = parse_ruleset_text(VERSIONS_TOML)
    assert [c.effective_from for c in rules.changes] == [dt.date(2027, 1, 25), dt.date(2027, 3, 1)]
    before, first, second = (rules.in_force(dt.date(2027, 1, 24)), rules.in_force(dt.date(2027, 1, 25)),
                             rules.in_force(dt.date(2027, 3, 1)))  # fmt: skip
    assert before == Rules(review_after_weeks=5)
    assert (first.targets.numbers, first.fines.numbers, first.min_lead_minutes) == (60, Decimal("0.5"), 0)
    assert (second.targets.numbers, second.fines.numbers, second.min_lead_minutes) == (60, Decimal("0.5"), 30)
    assert second.commission.lead_deal_fixed == Decimal(300) and second.review_after_weeks == 5
    assert rules.in_force(dt.date(2099, 1, 1)) == second


def test_a_change_keeps_the_keys_it_sets_with_their_validated_values():
    rules = parse_ruleset_text(VERSIONS_TOML)
    assert rules.changes[0] == RuleChange(
        effective_from=dt.date(2027, 1, 25),
        values={"targets": {"numbers": 60}, "fines": {"numbers": Decimal("0.5")}},
    )


def test_a_file_without_changes_is_a_base_only_set():
    assert parse_ruleset_text("protection_days = 3") == RuleSet(base=Rules(protection_days=3))
    assert as_ruleset(Rules(protection_days=3)) == RuleSet(base=Rules(protection_days=3))
    assert as_ruleset(None) == RuleSet()


def test_a_rule_set_prints_as_toml_that_loads_back_equal(tmp_path):
    rules = parse_ruleset_text(VERSIONS_TOML)
    path = tmp_path / "rules.toml"
    path.write_text(rules.to_toml(), encoding="utf-8")
    assert load_ruleset(path) == rules
    assert rules.to_toml().endswith(
        "[[changes]]\neffective_from = 2027-01-25\ntargets = { numbers = 60 }\nfines = { numbers = 0.5 }\n\n"
        "[[changes]]\neffective_from = 2027-03-01\ncommission = { lead_deal_fixed = 300 }\nmin_lead_minutes = 30\n"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("week_start = 'sunday'", "[[changes]] 2027-01-25 (#1): week_start: not versionable"),
        ("excused_weeks = ['2027-W07']", "[[changes]] 2027-01-25 (#1): excused_weeks: not versionable"),
        ("colour = 'blue'", "[[changes]] 2027-01-25 (#1): colour: unknown key"),
        ("targets = { visits = 3 }", "[[changes]] 2027-01-25 (#1): targets.visits: unknown key"),
        ("targets = { numbers = 'sixty' }", "[[changes]] 2027-01-25 (#1): targets.numbers: Input should be"),
        ("targets = { numbers = -1 }", "[[changes]] 2027-01-25 (#1): targets.numbers: Input should be greater"),
        ("fines = { units = -100 }", "[[changes]] 2027-01-25 (#1): fines.units: Input should be greater"),
        ("warn_after_weeks = 'two'", "[[changes]] 2027-01-25 (#1): warn_after_weeks: Input should be"),
        ("protection_days = -1", "[[changes]] 2027-01-25 (#1): protection_days: Input should be greater"),
        ("min_lead_minutes = 1.5", "[[changes]] 2027-01-25 (#1): min_lead_minutes: Input should be"),
        ("commission = { visit_share = 1.5 }", "[[changes]] 2027-01-25 (#1): commission.visit_share: Input"),
        ("commission = { visit_share_source = 'kam' }",
         "[[changes]] 2027-01-25 (#1): commission.visit_share_source: Input"),
    ],
)  # fmt: skip
def test_a_bad_change_is_refused_naming_the_change_and_the_key(toml, message):
    with pytest.raises(RulesError) as error:
        parse_ruleset_text(f"[[changes]]\neffective_from = 2027-01-25\n{toml}\n")
    assert len(error.value.problems) == 1
    assert error.value.problems[0].startswith(message), error.value.problems


@pytest.mark.parametrize(
    ("effective_from", "message"),
    [
        ("", "[[changes]] #2: effective_from: required"),
        ("effective_from = 'next monday'", "[[changes]] #2: effective_from: 'next monday' is not a date"),
        ("effective_from = 2027-02-01T09:00:00", "[[changes]] #2: effective_from: must be a date"),
        ("effective_from = 20270201", "[[changes]] #2: effective_from: must be a date"),
    ],
)
def test_a_change_without_a_readable_effective_from_is_refused_naming_its_position(effective_from, message):
    text = f"[[changes]]\neffective_from = 2027-01-25\nwarn_after_weeks = 3\n[[changes]]\n{effective_from}\nwarn_after_weeks = 4\n"
    with pytest.raises(RulesError) as error:
        parse_ruleset_text(text)
    assert len(error.value.problems) == 1 and error.value.problems[0].startswith(message)


def test_two_changes_with_the_same_effective_from_are_refused():
    text = "[[changes]]\neffective_from = 2027-01-25\nwarn_after_weeks = 3\n" * 2
    with pytest.raises(RulesError) as error:
        parse_ruleset_text(text)
    assert error.value.problems == [
        "[[changes]] 2027-01-25 (#2): effective_from: two changes take effect on this date"
    ]


def test_every_problem_of_a_file_is_reported_one_per_line():
    text = "colour = 1\n[[changes]]\neffective_from = 2027-01-25\nweek_start = 'sunday'\n[[changes]]\nfines = 3\n"
    with pytest.raises(RulesError) as error:
        parse_ruleset_text(text)
    assert error.value.problems == [
        "colour: unknown key",
        "[[changes]] #2: effective_from: required (the date the change takes effect)",
        "[[changes]] 2027-01-25 (#1): week_start: not versionable (set it in the base rules)",
    ]
    assert str(error.value) == "; ".join(error.value.problems)


def test_changes_must_be_tables():
    with pytest.raises(RulesError, match="changes: must be"):
        parse_ruleset_text("changes = 3")


def test_a_rule_set_built_in_code_keeps_changes_in_date_order():
    change = RuleChange(effective_from=dt.date(2027, 1, 25), values={"warn_after_weeks": 3})
    later = RuleChange(effective_from=dt.date(2027, 2, 1), values={"warn_after_weeks": 4})
    assert RuleSet(changes=(change, later)).in_force(dt.date(2027, 1, 31)).warn_after_weeks == 3
    with pytest.raises(ValueError, match="date order"):
        RuleSet(changes=(later, change))
