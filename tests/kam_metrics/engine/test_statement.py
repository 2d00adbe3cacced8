"""Monthly statement (SPEC §5) and the per-KAM summary (SPEC §7): months, commission, clawback, fines, net."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam_metrics.engine.statement import STATEMENT_COLUMNS, SUMMARY_COLUMNS
from tests.helpers import deal_row

# Fines only for the numbers quota: one valid lead meets a week, a missed week costs 50.
RULES = {"targets": {"units": 0, "batches": 0, "numbers": 1}, "fines": {"numbers": Decimal(50)}}
D = Decimal


def records(frame, columns) -> list[dict]:
    return [
        {c: (v.item() if hasattr(v, "item") and not isinstance(v, Decimal) else v) for c, v in r.items()}
        for r in frame[columns].to_dict("records")
    ]


@pytest.fixture
def three_months(upload):
    """张三 (一组): a visit deal signed in October, cancelled in December; fined weeks in November.

    Weeks: W44 (10-26…11-01, ends in November) met; W45–W48 missed; as_of = 12-02 (the cancellation),
    so W49 (11-30…12-06) is in progress. 王五 is on the roster, never assessed. One deal is unattributed.
    """
    upload(
        "roster",
        [
            {"kam": "张三", "team": "一组", "start_date": "2026-10-26"},
            {"kam": "王五", "team": "二组"},
        ],
    )
    upload("leads", [{"reported_at": "2026-10-27 10:00", "kam": "张三", "phone": "13800000001"}])
    upload(
        "visits",
        [{"visited_at": "2026-10-28 10:00", "kam": "张三", "phone": "13800000001", "salesperson": "李销售"}],
    )
    upload(
        "deals",
        [
            deal_row("13800000001", "2026-10-30", "A-101", status="退房", cancelled_at="2026-12-02"),
            deal_row("13900000009", "2026-11-10", "B-202", commission="3000"),  # unattributed
        ],
    )


def test_one_statement_row_per_kam_and_month_with_commission_clawback_or_an_assessed_week(
    three_months, compute
):
    results = compute(**RULES)
    assert records(results.statement, STATEMENT_COLUMNS) == [
        {
            "kam": "张三",
            "team": "一组",
            "month": "2026-10",
            "commission": D(2000),
            "clawback": D(0),
            "fines": D(0),
            "net": D(2000),
            "adjustments": D(0),
            "closed": False,
        },
        {
            "kam": "张三",
            "team": "一组",
            "month": "2026-11",
            "commission": D(0),
            "clawback": D(0),
            "fines": D(200),
            "net": D(-200),
            "adjustments": D(0),
            "closed": False,
        },
        {
            "kam": "张三",
            "team": "一组",
            "month": "2026-12",
            "commission": D(0),
            "clawback": D(2000),
            "fines": D(0),
            "net": D(-2000),
            "adjustments": D(0),
            "closed": False,
        },
    ]


def test_unattributed_deals_appear_in_no_statement(three_months, compute):
    results = compute(**RULES)
    unattributed = results.commissions[results.commissions["type"] == "unattributed"]
    assert list(unattributed["property"]) == ["B-202"]
    assert set(results.statement["kam"]) == {"张三"}
    assert sum(results.statement["commission"]) == D(2000)


def test_summary_lists_every_kam_with_totals_over_all_months_and_the_last_assessed_weeks_streak(
    three_months, compute
):
    results = compute(**RULES)
    assert records(results.summary.sort_values("kam"), SUMMARY_COLUMNS) == [
        {
            "kam": "张三",
            "team": "一组",
            "weeks_assessed": 5,
            "weeks_met": 1,
            "fines_total": D(200),
            "commission_total": D(2000),
            "clawback_total": D(2000),
            "net_total": D(-200),
            "adjustments_total": D(0),
            "missed_streak": 4,
            "flag": "dismissal_review",
        },
        {
            "kam": "王五",
            "team": "二组",
            "weeks_assessed": 0,
            "weeks_met": 0,
            "fines_total": D(0),
            "commission_total": D(0),
            "clawback_total": D(0),
            "net_total": D(0),
            "adjustments_total": D(0),
            "missed_streak": 0,
            "flag": "",
        },
    ]


def test_summary_totals_equal_the_sums_of_the_statement(three_months, compute):
    results = compute(**RULES)
    for kam, months in results.statement.groupby("kam"):
        row = results.summary.set_index("kam").loc[kam]
        for total, column in (
            ("commission_total", "commission"),
            ("clawback_total", "clawback"),
            ("fines_total", "fines"),
            ("adjustments_total", "adjustments"),
            ("net_total", "net"),
        ):
            assert row[total] == sum(months[column], D(0))


def test_an_in_progress_week_adds_no_month_and_no_fine(three_months, compute):
    results = compute(**RULES)
    in_progress = results.weekly[results.weekly["in_progress"].astype(bool)]
    assert list(in_progress["week"]) == ["2026-W49"]
    december = results.statement[results.statement["month"] == "2026-12"]
    assert list(december["fines"]) == [D(0)]


@pytest.mark.parametrize(
    ("week_start", "first_day", "month"),
    [
        ("monday", "2026-09-28", "2026-10"),  # 09-28…10-04
        ("monday", "2026-11-23", "2026-11"),  # 11-23…11-29
        ("monday", "2026-11-30", "2026-12"),  # 11-30…12-06
        ("sunday", "2026-09-27", "2026-10"),  # 09-27…10-03
        ("wednesday", "2026-09-30", "2026-10"),  # 09-30…10-06
        ("thursday", "2026-09-24", "2026-09"),  # 09-24…09-30
    ],
)
def test_a_weeks_fine_falls_in_the_month_of_the_weeks_last_day(upload, compute, week_start, first_day, month):
    day = dt.date.fromisoformat(first_day)
    upload("units", [{"date": first_day, "kam": "张三", "unit_name": "甲公司", "photo": "p.jpg"}])
    results = compute(as_of=day + dt.timedelta(days=6), week_start=week_start)
    assert records(results.statement, ["kam", "month", "commission", "clawback", "fines", "net"]) == [
        {"kam": "张三", "month": month, "commission": D(0), "clawback": D(0), "fines": D(460), "net": D(-460)}
    ]


def test_commission_and_clawback_of_one_month_net_against_its_fines(upload, compute):
    upload("roster", [{"kam": "张三", "start_date": "2026-11-02"}])
    upload(
        "leads",
        [
            {"reported_at": "2026-11-02 09:00", "kam": "张三", "phone": "13800000001"},
            {"reported_at": "2026-11-02 09:30", "kam": "张三", "phone": "13800000002"},
        ],
    )
    upload(
        "deals",
        [
            deal_row("13800000001", "2026-11-03", "A-101"),  # lead deal: 200
            # 200, clawed back
            deal_row("13800000002", "2026-11-04", "A-102", status="退房", cancelled_at="2026-11-06"),
        ],
    )
    results = compute(as_of=dt.date(2026, 11, 8), **RULES)
    assert records(results.statement, ["month", "commission", "clawback", "fines", "net"]) == [
        {"month": "2026-11", "commission": D(400), "clawback": D(200), "fines": D(0), "net": D(200)}
    ]


def test_a_deal_after_a_kams_end_date_is_still_on_that_kams_statement(upload, compute):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-11-02", "end_date": "2026-11-08"}])
    upload("leads", [{"reported_at": "2026-11-03 10:00", "kam": "张三", "phone": "13800000001"}])
    upload("deals", [deal_row("13800000001", "2026-12-10", "A-101")])
    results = compute(**RULES)
    assert records(results.statement, STATEMENT_COLUMNS) == [
        {
            "kam": "张三",
            "team": "一组",
            "month": "2026-11",
            "commission": D(0),
            "clawback": D(0),
            "fines": D(0),
            "net": D(0),
            "adjustments": D(0),
            "closed": False,
        },
        {
            "kam": "张三",
            "team": "一组",
            "month": "2026-12",
            "commission": D(200),
            "clawback": D(0),
            "fines": D(0),
            "net": D(200),
            "adjustments": D(0),
            "closed": False,
        },
    ]
    assert list(results.weekly["week"]) == ["2026-W45"]


def test_a_kam_not_on_the_roster_has_an_empty_team_on_the_statement(upload, compute):
    upload("leads", [{"reported_at": "2026-11-03 10:00", "kam": "赵六", "phone": "13800000001"}])
    results = compute(as_of=dt.date(2026, 11, 8), **RULES)
    assert records(results.statement, STATEMENT_COLUMNS) == [
        {
            "kam": "赵六",
            "team": "",
            "month": "2026-11",
            "commission": D(0),
            "clawback": D(0),
            "fines": D(0),
            "net": D(0),
            "adjustments": D(0),
            "closed": False,
        },
    ]
