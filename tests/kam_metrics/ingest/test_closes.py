"""Closing and reopening months in the store (SPEC §9): the preconditions, the frozen items, reopen, the list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam_metrics.contract.rules import rules_from_dict
from kam_metrics.engine import report
from kam_metrics.ingest.closes import CloseRefused, close_month, closes, reopen_month

RULES = rules_from_dict(
    {"targets": {"units": 0, "batches": 0, "numbers": 1}, "fines": {"numbers": Decimal(50)}}
)
SEP_END, OCT_END = dt.date(2026, 9, 30), dt.date(2026, 10, 31)


@pytest.fixture
def two_months(upload):
    """张三 from 2026-09-07: a visit deal on 09-12 (2,000), cancelled on 10-05; leads in W37 and W39 only."""
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}])
    upload(
        "leads",
        [
            {"reported_at": "2026-09-08 10:00", "kam": "张三", "phone": "13800000001"},
            {"reported_at": "2026-09-22 10:00", "kam": "张三", "phone": "13800000002"},
        ],
    )
    upload(
        "visits",
        [{"visited_at": "2026-09-10 15:00", "kam": "张三", "phone": "13800000001", "salesperson": "李销售"}],
    )
    deal = {"signed_at": "2026-09-12", "phone": "13800000001", "property": "A-101", "salesperson": "李销售"}
    upload(
        "deals", [deal | {"salesperson_commission": "4000", "status": "退房", "cancelled_at": "2026-10-05"}]
    )


def items(store) -> list[tuple]:
    return (
        store.cursor()
        .execute(
            """select c.month, i.kam, i.kind, i.ref, i.source_month, i.amount, i.is_adjustment
           from close_items i join closes c using (close_id) order by all"""
        )
        .fetchall()
    )


def refused(call, *args, **kwargs) -> tuple[str, str, str]:
    with pytest.raises(CloseRefused) as e:
        call(*args, **kwargs)
    return e.value.code, e.value.message("en"), e.value.message("zh")


def test_closing_a_month_freezes_its_commission_lines_and_the_fines_of_weeks_ending_in_it(store, two_months):
    done = close_month(store, "2026-09", "cli:finance", RULES, SEP_END)
    assert done == {"close_id": 1, "month": "2026-09", "items": 4, "adjustments": 0, "implicit": []}
    ref = "A-101 · 13800000001 · 2026-09-12"
    assert items(store) == [
        ("2026-09", "张三", "commission", ref, "2026-09", Decimal("2000.00"), False),
        ("2026-09", "张三", "fine", "2026-W37", "2026-09", Decimal("0.00"), False),
        ("2026-09", "张三", "fine", "2026-W38", "2026-09", Decimal("50.00"), False),
        ("2026-09", "张三", "fine", "2026-W39", "2026-09", Decimal("0.00"), False),
    ]


def test_a_clawback_is_frozen_in_the_month_of_its_cancellation(store, two_months):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    close_month(store, "2026-10", "test", RULES, OCT_END)
    october = [i for i in items(store) if i[0] == "2026-10" and i[2] == "clawback"]
    assert october == [
        (
            "2026-10",
            "张三",
            "clawback",
            "A-101 · 13800000001 · 2026-09-12",
            "2026-10",
            Decimal("2000.00"),
            False,
        )
    ]


def test_closing_is_refused_before_the_months_last_day_is_on_or_before_as_of(store, two_months):
    assert refused(close_month, store, "2026-09", "test", RULES, dt.date(2026, 9, 29)) == (
        "not_over",
        "2026-09 cannot be closed yet: its last day 2026-09-30 is after as_of 2026-09-29",
        "2026-09 尚不能月结：其最后一天 2026-09-30 晚于截至日 2026-09-29",
    )
    assert closes(store).empty


def test_closing_uses_the_default_as_of_the_latest_date_in_the_data(store, two_months):
    # the latest date is the cancellation, 10-05: September can close, October cannot
    assert close_month(store, "2026-09", "test", RULES)["items"] == 4
    assert refused(close_month, store, "2026-10", "test", RULES)[0] == "not_over"
    assert list(closes(store)["as_of"].dt.date) == [dt.date(2026, 10, 5)]


def test_closing_is_refused_while_an_earlier_month_with_statement_rows_is_open(store, two_months):
    code, en, _ = refused(close_month, store, "2026-10", "test", RULES, OCT_END)
    assert (code, en) == (
        "earlier_open",
        "close 2026-09 first: earlier months with statement rows must be closed before 2026-10",
    )


def test_closing_is_refused_while_an_open_dispute_concerns_a_row_dated_in_the_month(store, two_months):
    cur = store.cursor()
    for dispute_id, state, row_at in (
        (1, "open", "2026-09-08 10:00:00"),
        (2, "rejected", "2026-09-22 10:00:00"),
    ):
        cur.execute(
            """insert into disputes (dispute_id, kind, kam, phone, row_at, asked_verdict, filed_by, filed_at, state)
               values (?, 'lead', '张三', '13800000001', ?, 'valid', 'director', now(), ?)""",
            [dispute_id, row_at, state],
        )
    assert refused(close_month, store, "2026-09", "test", RULES, SEP_END)[:2] == (
        "dispute_open",
        "2026-09 cannot be closed: open dispute(s) #1 concern rows dated in it",
    )
    cur.execute("update disputes set state = 'withdrawn' where dispute_id = 1")
    assert close_month(store, "2026-09", "test", RULES, SEP_END)["close_id"] == 1


def test_a_closed_month_cannot_be_closed_again_nor_an_earlier_one(store, two_months):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    close_month(store, "2026-10", "test", RULES, OCT_END)
    assert refused(close_month, store, "2026-09", "test", RULES, OCT_END)[:2] == (
        "already_closed",
        "2026-09 is already closed (the latest closed month is 2026-10)",
    )


def test_a_month_is_written_yyyy_mm(store, two_months):
    assert refused(close_month, store, "2026-9", "test", RULES)[0] == "bad_month"
    assert refused(reopen_month, store, "September", "why", "test")[0] == "bad_month"


def test_months_without_statement_rows_before_the_closed_month_are_closed_with_it_implicitly(store, upload):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07", "end_date": "2026-09-27"}])
    upload("leads", [{"reported_at": "2026-09-08 10:00", "kam": "张三", "phone": "13800000001"}])
    upload("deals", [{"signed_at": "2026-12-03", "phone": "13800000001", "property": "B-1", "salesperson": "李"}
                     | {"salesperson_commission": "1000"}])  # fmt: skip
    close_month(store, "2026-09", "test", RULES, dt.date(2026, 12, 31))
    done = close_month(store, "2026-12", "test", RULES, dt.date(2026, 12, 31))
    assert done["implicit"] == ["2026-10", "2026-11"]
    listed = closes(store)
    assert listed[["close_id", "month", "implicit", "items"]].values.tolist() == [
        [1, "2026-09", False, 3],
        [2, "2026-10", True, 0],
        [3, "2026-11", True, 0],
        [4, "2026-12", False, 1],
    ]
    # reopening December reopens the months closed with it; September stays closed
    assert reopen_month(store, "2026-12", "the deal was keyed twice", "director") == "2026-09"
    listed = closes(store)
    assert listed["reopened_at"].notna().tolist() == [False, True, True, True]
    assert set(listed["reopen_reason"].dropna()) == {"the deal was keyed twice"}


def test_only_the_latest_closed_month_can_be_reopened_and_only_with_a_reason(store, two_months):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    close_month(store, "2026-10", "test", RULES, OCT_END)
    assert refused(reopen_month, store, "2026-09", "wrong fines", "director")[:2] == (
        "not_latest",
        "only the latest closed month (2026-10) can be reopened, not 2026-09",
    )
    assert refused(reopen_month, store, "2026-10", "  ", "director")[0] == "reason_required"
    assert refused(reopen_month, store, "2026-11", "why", "director")[0] == "not_closed"
    assert reopen_month(store, "2026-10", "late cancellation", "director") == "2026-09"
    listed = closes(store)
    assert listed[["month", "reopened_by", "reopen_reason"]].fillna("").values.tolist() == [
        ["2026-09", "", ""],
        ["2026-10", "director", "late cancellation"],
    ]
    # the reopened month is open again: it can be closed once more, as a new close
    assert close_month(store, "2026-10", "test", RULES, OCT_END)["close_id"] == 3


def test_the_close_freezes_what_the_engine_computed_at_that_moment(store, two_months, upload):
    """compute and freeze happen in one transaction under the write lock: the frozen items are those of the
    results computed inside it, and an upload afterwards changes none of them."""
    close_month(store, "2026-09", "test", RULES, SEP_END)
    frozen = items(store)
    upload("leads", [{"reported_at": "2026-09-15 10:00", "kam": "张三", "phone": "13800000003"}])
    assert items(store) == frozen
    results = report.compute(store, RULES, SEP_END)
    assert list(results.adjustments["amount"]) == [Decimal("50.00")]  # the W38 fine given back
