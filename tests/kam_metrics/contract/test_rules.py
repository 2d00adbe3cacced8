"""The rules file (SPEC §6): defaults, validation naming the key, loading from a file, round trip."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from kam_metrics.contract.rules import Rules, RulesError, load_rules, parse_rules_text, rules_from_dict

# The TOML block of SPEC §6, verbatim.
SPEC_TOML = """\
week_start = "monday"        # or tuesday … sunday
warn_after_weeks = 2
review_after_weeks = 4
protection_days = 0          # 0: a claim never lapses
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
