"""SPEC §6 rule versions: every rule applies by the row's own date (weeks by their first day, claims by the
lead's reported_at, check 1b by visited_at, commissions by the signed date); missed_streak counts across them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from kam_metrics.contract.rules import Rules, RuleSet, ruleset_from_dict
from kam_metrics.engine import attribution, report
from kam_metrics.ingest import rules_table

P, P2 = "13800000001", "13900000002"
# Only the numbers quota counts in these tests: one valid lead a week against a target of 1 meets it.
QUIET = {"targets": {"units": 0, "batches": 0, "numbers": 1}}


def rows(frame, *columns):
    return frame[list(columns)].values.tolist()


def versions(*changes, **base) -> RuleSet:
    return ruleset_from_dict({**base, "changes": list(changes)})


def lead(at, kam="张三", phone=P):
    return {"reported_at": at, "kam": kam, "phone": phone}


def leads_per_week(upload, *mondays: str, phone_base: int = 13800000100):
    """One valid lead (a fresh phone) on each given Monday."""
    upload("leads", [lead(f"{d} 10:00", phone=str(phone_base + i)) for i, d in enumerate(mondays)])


# ---------------------------------------------------------------------------------------------------
# Weeks: the version in force on the week's first day


@pytest.mark.parametrize(
    ("effective_from", "week_46"),
    [
        (
            "2026-11-09",
            ["2026-W46", 1, 0, Decimal("0.00"), True],
        ),  # starts on the week's first day: it applies
        (
            "2026-11-10",
            ["2026-W46", 1, 99, Decimal("99.00"), False],
        ),  # the day after: the week keeps the old one
    ],
)
def test_a_week_is_assessed_with_the_version_in_force_on_its_first_day(
    store, upload, effective_from, week_46
):
    leads_per_week(upload, "2026-11-02", "2026-11-09")
    rules = versions(
        {"effective_from": dt.date.fromisoformat(effective_from), "targets": {"numbers": 1}},
        targets={"units": 0, "batches": 0, "numbers": 100},
    )
    weekly = report.compute(store, rules, dt.date(2026, 11, 15)).weekly
    assert rows(weekly, "week", "numbers", "numbers_short", "fine", "met") == [
        ["2026-W45", 1, 99, Decimal("99.00"), False],
        week_46,
    ]


def test_a_fine_rate_change_fines_only_the_weeks_from_its_date(store, upload):
    leads_per_week(upload, "2026-11-02")
    rules = versions({"effective_from": dt.date(2026, 11, 9), "fines": {"numbers": 0.5}}, **{
        "targets": {"units": 0, "batches": 0, "numbers": 3}})  # fmt: skip
    weekly = report.compute(store, rules, dt.date(2026, 11, 15)).weekly
    assert rows(weekly, "week", "numbers_short", "fine") == [
        ["2026-W45", 2, Decimal("2.00")],
        ["2026-W46", 3, Decimal("1.50")],
    ]


def test_missed_streak_counts_across_versions_and_each_week_flags_by_its_own_thresholds(store, upload):
    leads_per_week(upload, "2026-11-02")  # a KAM at work from W45, missing every week (target 100)
    rules = versions(
        {"effective_from": dt.date(2026, 11, 16), "warn_after_weeks": 5, "review_after_weeks": 6},
        {"effective_from": dt.date(2026, 11, 30), "review_after_weeks": 3},
    )
    weekly = report.compute(store, rules, dt.date(2026, 12, 6)).weekly
    assert rows(weekly, "week", "missed_streak", "flag") == [
        ["2026-W45", 1, ""],
        ["2026-W46", 2, "warning"],  # base: warn after 2
        [
            "2026-W47",
            3,
            "",
        ],  # warn after 5, review after 6: the streak goes on, the flag follows the week's rules
        ["2026-W48", 4, ""],
        ["2026-W49", 5, "dismissal_review"],  # review after 3 from 11-30
    ]
    assert rows(report.compute(store, rules, dt.date(2026, 12, 6)).summary, "missed_streak", "flag") == [
        [5, "dismissal_review"]
    ]


def test_the_in_progress_week_shows_shortfalls_by_its_own_version(store, upload):
    leads_per_week(upload, "2026-11-02", "2026-11-09")
    rules = versions({"effective_from": dt.date(2026, 11, 9), "targets": {"numbers": 2}}, **QUIET)
    weekly = report.compute(store, rules, dt.date(2026, 11, 11)).weekly
    assert rows(weekly, "week", "numbers_short", "fine", "in_progress") == [
        ["2026-W45", 0, Decimal("0.00"), False],
        ["2026-W46", 1, Decimal("0.00"), True],
    ]


# ---------------------------------------------------------------------------------------------------
# Claims: protection_days in force at the lead's reported_at


def test_each_claim_lapses_by_the_protection_days_in_force_at_its_lead(store, upload):
    upload(
        "leads",
        [lead("2026-11-02 10:00", kam="张三", phone=P), lead("2026-11-06 10:00", kam="李四", phone=P2)],
    )
    upload(
        "leads",
        [lead("2026-11-20 10:00", kam="王五", phone=P), lead("2026-11-20 10:00", kam="王五", phone=P2)],
    )
    rules = versions({"effective_from": dt.date(2026, 11, 5), "protection_days": 1})
    assert attribution.choose_path(rules) == attribution.REFERENCE
    res = report.compute(store, rules)
    assert rows(res.leads, "kam", "phone", "status", "claim_kam") == [
        ["张三", P, "valid", "张三"],  # protection 0 on 11-02: never lapses
        ["李四", P2, "valid", "李四"],  # protection 1 on 11-06: lapses 11-07 10:00
        ["王五", P, "owned_by_other", "张三"],
        ["王五", P2, "valid", "王五"],
    ]
    lapses = [(p, k, None if pd.isna(t) else dt.datetime.fromtimestamp(t, dt.UTC).replace(tzinfo=None))
              for p, k, t in rows(res.claims, "phone", "kam", "lapse_ts")]  # fmt: skip
    assert lapses == [
        (P, "张三", None),
        (P2, "李四", dt.datetime(2026, 11, 7, 10, 0)),
        (P2, "王五", dt.datetime(2026, 11, 21, 10, 0)),
    ]


def test_a_claim_won_under_lapsing_rules_still_lapses_after_a_change_to_never(store, upload):
    upload("leads", [lead("2026-11-02 10:00", kam="张三"), lead("2026-11-20 10:00", kam="李四")])
    rules = versions({"effective_from": dt.date(2026, 11, 10), "protection_days": 0}, protection_days=7)
    assert rows(report.compute(store, rules).leads, "kam", "status") == [["张三", "valid"], ["李四", "valid"]]


def test_the_fast_path_is_kept_while_no_version_lets_claims_lapse():
    rules = versions(
        {"effective_from": dt.date(2026, 11, 5), "min_lead_minutes": 30, "targets": {"numbers": 5}}
    )
    assert attribution.choose_path(rules) == attribution.FAST
    assert attribution.choose_path(RuleSet()) == attribution.FAST
    assert attribution.choose_path(versions(protection_days=3)) == attribution.SPLIT
    changed = versions({"effective_from": dt.date(2026, 11, 5), "protection_days": 7}, protection_days=3)
    assert attribution.choose_path(changed) == attribution.REFERENCE
    with pytest.raises(ValueError, match="one protection_days"):
        attribution.choose_path(changed, attribution.SPLIT)


# ---------------------------------------------------------------------------------------------------
# Visits: min_lead_minutes in force at visited_at


def test_check_1b_uses_the_min_lead_minutes_in_force_on_the_visit_date(store, upload, attribution_path):
    upload("leads", [lead("2026-11-02 09:50", phone=P), lead("2026-11-03 09:50", phone=P2)])
    visit = {"kam": "张三", "salesperson": "李销售"}
    upload("visits", [{"visited_at": "2026-11-02 10:00", "phone": P, **visit},
                      {"visited_at": "2026-11-03 10:00", "phone": P2, **visit}])  # fmt: skip
    rules = versions({"effective_from": dt.date(2026, 11, 3), "min_lead_minutes": 30})
    res = report.compute(store, rules, path=attribution_path)
    assert rows(res.visits, "phone", "status") == [[P, "valid"], [P2, "reported_too_late"]]


# ---------------------------------------------------------------------------------------------------
# Deals: the commission keys in force on the signed date; a clawback negates that amount


def test_each_deal_is_paid_by_the_commission_in_force_on_its_signed_date_and_clawed_back_by_that_amount(
    store, upload, attribution_path
):
    upload("leads", [lead("2026-11-02 10:00", phone=P), lead("2026-11-02 10:00", phone=P2),
                     lead("2026-11-02 10:00", phone="13700000003")])  # fmt: skip
    upload("visits", [{"visited_at": "2026-11-03 10:00", "kam": "张三", "phone": "13700000003",
                       "salesperson": "李销售"}])  # fmt: skip
    deal = {"salesperson": "李销售", "salesperson_commission": "4000"}
    upload("deals", [
        {"signed_at": "2026-11-09", "phone": P, "property": "1-101", **deal, "status": "退房",
         "cancelled_at": "2026-11-20"},
        {"signed_at": "2026-11-10", "phone": P2, "property": "1-102", **deal},
        {"signed_at": "2026-11-12", "phone": "13700000003", "property": "1-103", **deal},
    ])  # fmt: skip
    rules = versions(
        {"effective_from": dt.date(2026, 11, 10), "commission": {"lead_deal_fixed": 300, "visit_share": 0.25}}
    )
    lines = report.compute(store, rules, path=attribution_path).commissions
    assert rows(lines, "property", "type", "line", "kam_commission", "salesperson_net", "month") == [
        ["1-101", "lead_deal", "commission", Decimal("200.00"), Decimal("4000.00"), "2026-11"],
        ["1-101", "lead_deal", "clawback", Decimal("-200.00"), Decimal("-4000.00"), "2026-11"],
        ["1-102", "lead_deal", "commission", Decimal("300.00"), Decimal("4000.00"), "2026-11"],
        ["1-103", "visit_deal", "commission", Decimal("1000.00"), Decimal("3000.00"), "2026-11"],
    ]


# ---------------------------------------------------------------------------------------------------
# Without changes nothing moves; compute reads the stored rules when given none


def test_a_rule_set_without_changes_computes_exactly_as_its_base(store, upload):
    leads_per_week(upload, "2026-11-02")
    base = Rules(protection_days=0, targets={"units": 1, "batches": 2, "numbers": 3})
    plain, as_set = report.compute(store, base), report.compute(store, RuleSet(base=base))
    for name in ("weekly", "statement", "summary", "leads", "visits", "commissions"):
        assert getattr(plain, name).equals(getattr(as_set, name)), name
    assert plain.rule_versions == as_set.rule_versions == RuleSet(base=base)


def test_results_rules_are_the_version_in_force_on_as_of(store, upload):
    leads_per_week(upload, "2026-11-02")
    rules = versions({"effective_from": dt.date(2026, 11, 9), "targets": {"numbers": 7}})
    assert report.compute(store, rules, dt.date(2026, 11, 8)).rules.targets.numbers == 100
    assert report.compute(store, rules, dt.date(2026, 11, 9)).rules.targets.numbers == 7


def test_compute_without_rules_uses_the_stored_rules(store, upload):
    leads_per_week(upload, "2026-11-02")
    assert report.compute(store).rule_versions == RuleSet()
    stored = versions({"effective_from": dt.date(2026, 11, 9), "targets": {"numbers": 1}}, **QUIET)
    rules_table.set_rules(store, stored, "test")
    res = report.compute(store, as_of=dt.date(2026, 11, 15))
    assert res.rule_versions == stored
    assert rows(res.weekly, "week", "met") == [["2026-W45", True], ["2026-W46", False]]
