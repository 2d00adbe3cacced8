"""engine.story: a customer's events in the attribution's own SPEC §3 order, and the claim in force at a moment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from kam_metrics.engine.story import EVENT_COLUMNS, Claim, claim_holder, customer_events

ts = pd.Timestamp
P = "13800000001"
P2 = "13900000002"


def rows(frame):
    return [list(r) for r in frame[EVENT_COLUMNS].itertuples(index=False)]


def test_customer_events_on_one_date_follow_the_before_rule_not_the_clock(upload, compute):
    # SPEC §3 "Before": a date-only lead is before everything of its date; a date-only registration or visit
    # after every timed row of its date. So the 10:00 registration sorts after the date-only lead.
    upload("registrations", [{"registered_at": "2026-11-02 10:00", "phone": P, "customer_name": "王先生",
                              "salesperson": "李销售", "source": "自然到访"}])  # fmt: skip
    upload("visits", [{"visited_at": "2026-11-02", "kam": "张三", "phone": P, "customer_name": "王建国",
                       "salesperson": "李销售"}])  # fmt: skip
    upload("leads", [{"reported_at": "2026-11-02", "kam": "张三", "phone": P, "customer_name": "王先生"}])
    upload("leads", [{"reported_at": "2026-11-01 09:00", "kam": "李四", "phone": P2}])
    events = customer_events(compute(), P)
    assert rows(events) == [
        ["lead", ts("2026-11-02"), True, "张三", "valid", "", "王先生", None, None, None, None, 3, 2],
        ["registration", ts("2026-11-02 10:00"), False, "", "", "", "王先生", "李销售", "自然到访", None, None, 1, 2],
        ["visit", ts("2026-11-02"), True, "张三", "valid", "", "王建国", "李销售", None, None, None, 2, 2],
    ]  # fmt: skip


def test_customer_events_put_deals_after_their_day_and_clawbacks_on_the_cancellation_day(upload, compute):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P}])
    upload("deals", [{"signed_at": "2026-11-05 09:00", "phone": P, "property": "1-101", "salesperson": "李销售",
                      "salesperson_commission": "4000", "status": "退房", "cancelled_at": "2026-12-03"}])  # fmt: skip
    upload("visits", [{"visited_at": "2026-11-05 18:00", "kam": "王五", "phone": P, "salesperson": "李销售"}])
    events = customer_events(compute(), P)
    assert rows(events) == [
        ["lead", ts("2026-11-02 10:00"), False, "张三", "valid", "", None, None, None, None, None, 1, 2],
        ["visit", ts("2026-11-05 18:00"), False, "王五", "not_reported", "", None, "李销售", None, None, None, 3, 2],
        ["deal", ts("2026-11-05"), True, "张三", "lead_deal", "", None, "李销售", None, "1-101", Decimal("200.00"), 2, 2],
        ["clawback", ts("2026-12-03"), True, "张三", "clawback", "", None, "李销售", None, "1-101", Decimal("-200.00"), 2, 2],
    ]  # fmt: skip


def test_customer_events_show_an_unattributed_deal_with_its_reason(upload, compute):
    upload("deals", [{"signed_at": "2026-11-05", "phone": P, "property": "1-101", "salesperson": "李销售",
                      "salesperson_commission": "4000"}])  # fmt: skip
    assert rows(customer_events(compute(), P)) == [
        ["deal", ts("2026-11-05"), True, "", "unattributed", "no_lead", None, "李销售", None, "1-101",
         Decimal("0.00"), 1, 2],
    ]  # fmt: skip


def test_customer_events_of_an_unknown_phone_are_empty_with_every_column(upload, compute):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P}])
    events = customer_events(compute(), P2)
    assert list(events.columns) == EVENT_COLUMNS and events.empty


def test_claim_holder_is_the_first_valid_lead_and_never_lapses_by_default(upload, compute):
    upload("leads", [{"reported_at": "2026-11-02", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P}])  # fmt: skip
    assert claim_holder(compute(as_of=dt.date(2027, 6, 1)), P) == Claim("张三", ts("2026-11-02"), True, None)


def test_a_lapsed_claim_is_held_by_nobody_until_the_next_lead(upload, compute):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-20 09:00", "kam": "李四", "phone": P}])  # fmt: skip
    res = compute(as_of=dt.date(2026, 11, 26), protection_days=7)
    # 张三's claim is in force while t < 2026-11-09 10:00; then the phone is free until 李四's lead.
    assert claim_holder(res, P, dt.datetime(2026, 11, 9, 9, 59, 59)) == Claim(
        "张三", ts("2026-11-02 10:00"), False, dt.date(2026, 11, 9)
    )
    assert claim_holder(res, P, dt.datetime(2026, 11, 9, 10, 0)) is None
    assert claim_holder(res, P, dt.datetime(2026, 11, 20, 8, 59)) is None
    assert claim_holder(res, P) == Claim("李四", ts("2026-11-20 09:00"), False, dt.date(2026, 11, 27))
    # at the end of as_of by default: on 2026-11-27 李四's claim has lapsed too
    assert claim_holder(compute(as_of=dt.date(2026, 11, 27), protection_days=7), P) is None


def test_a_valid_visit_in_time_keeps_the_claim_for_ever(upload, compute):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P}])
    upload("visits", [{"visited_at": "2026-11-04 15:00", "kam": "张三", "phone": P, "salesperson": "李销售"}])
    res = compute(as_of=dt.date(2027, 1, 31), protection_days=7)
    assert claim_holder(res, P) == Claim("张三", ts("2026-11-02 10:00"), False, None)


def test_a_claim_from_a_lead_after_the_moment_is_not_held_yet(upload, compute):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P}])
    res = compute()
    assert claim_holder(res, P, dt.datetime(2026, 11, 2, 9, 59)) is None
    assert claim_holder(res, P, dt.datetime(2026, 11, 2, 10, 0)) == Claim(
        "张三", ts("2026-11-02 10:00"), False, None
    )


def test_a_phone_never_claimed_has_no_claim_holder(upload, compute):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P2}])
    assert claim_holder(compute(), P) is None
