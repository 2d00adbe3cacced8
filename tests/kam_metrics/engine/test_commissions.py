"""SPEC §3 Deals (带访成交, 号码成交, 无归属, 追回) and §5 monthly statements, in the spec's words."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.helpers import deal_row


@pytest.fixture
def compute(compute_both_paths):
    """Every test of this module runs on both attribution paths (tests/kam_metrics/engine/conftest.py)."""
    return compute_both_paths


P = "13800000001"
P2 = "13900000002"
P3 = "13700000003"

LINE = ["kam", "phone", "property", "type", "reason", "kam_commission", "salesperson_net", "line", "month"]


def lines(res, columns=LINE):
    """Commission lines as lists of ``columns``; an unattributed line's kam reads as ""."""
    frame = res.commissions.assign(kam=res.commissions["kam"].astype(object).fillna(""))
    return frame[columns].values.tolist()


def lead(at, kam="张三", phone=P):
    return {"reported_at": at, "kam": kam, "phone": phone}


def visit(at, kam="张三", phone=P):
    return {"visited_at": at, "kam": kam, "phone": phone, "salesperson": "李销售"}


def deal(signed_at, commission="4000", phone=P, prop="1-101", **extra):
    return deal_row(phone, signed_at, prop, commission, **extra)


# ---------------------------------------------------------------------------------------------------
# visit_deal 带访成交


def test_visit_deal_pays_the_kam_half_out_of_the_salesperson_commission(upload, compute):
    # The job description's example: the salesperson earns 4,000 on the apartment, the KAM gets 2,000.
    upload("leads", [lead("2026-11-01 10:00")])
    upload("visits", [visit("2026-11-02 10:00")])
    upload("deals", [deal("2026-11-05", "4000")])
    assert lines(compute()) == [
        ["张三", P, "1-101", "visit_deal", "", D("2000.00"), D("2000.00"), "commission", "2026-11"]
    ]


def test_with_visit_share_source_company_the_salesperson_keeps_the_whole_commission(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("visits", [visit("2026-11-02 10:00")])
    upload("deals", [deal("2026-11-05", "4000")])
    res = compute(commission={"visit_share_source": "company"})
    assert lines(res) == [
        ["张三", P, "1-101", "visit_deal", "", D("2000.00"), D("4000.00"), "commission", "2026-11"]
    ]


def test_the_claim_holder_gets_the_visit_deal_even_when_another_kam_reported_later(upload, compute):
    upload("leads", [lead("2026-11-01 10:00", kam="张三"), lead("2026-11-03 10:00", kam="李四")])
    upload("visits", [visit("2026-11-02 10:00", kam="张三"), visit("2026-11-04 10:00", kam="李四")])
    upload("deals", [deal("2026-11-05")])
    assert lines(res := compute(), ["kam", "type", "kam_commission"]) == [
        ["张三", "visit_deal", D("2000.00")]
    ]
    assert res.visits[["kam", "status"]].values.tolist() == [["张三", "valid"], ["李四", "no_valid_claim"]]


def test_visit_deal_goes_to_the_current_claim_holder_after_a_lapse(upload, compute):
    upload("leads", [lead("2026-11-01 10:00", kam="张三"), lead("2026-11-09 10:00", kam="李四")])
    upload("visits", [visit("2026-11-10 10:00", kam="李四")])
    upload("deals", [deal("2026-11-12")])
    res = compute(protection_days=7)
    assert lines(res, ["kam", "type", "kam_commission", "salesperson_net"]) == [
        ["李四", "visit_deal", D("2000.00"), D("2000.00")]
    ]


# ---------------------------------------------------------------------------------------------------
# lead_deal 号码成交


def test_lead_deal_pays_a_fixed_200_per_apartment_from_the_company(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("deals", [deal("2026-11-05", "4000", prop="1-101"), deal("2026-11-05", "3000", prop="1-102")])
    assert lines(compute()) == [
        ["张三", P, "1-101", "lead_deal", "", D("200.00"), D("4000.00"), "commission", "2026-11"],
        ["张三", P, "1-102", "lead_deal", "", D("200.00"), D("3000.00"), "commission", "2026-11"],
    ]


def test_an_invalid_visit_makes_only_a_lead_deal(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("visits", [{**visit("2026-11-02 10:00"), "salesperson": None}])
    upload("deals", [deal("2026-11-05")])
    res = compute()
    assert res.visits[["kam", "status"]].values.tolist() == [["张三", "no_handover"]]
    assert lines(res, ["kam", "type", "kam_commission", "salesperson_net"]) == [
        ["张三", "lead_deal", D("200.00"), D("4000.00")]
    ]


def test_a_valid_visit_after_the_signed_date_makes_only_a_lead_deal(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("visits", [visit("2026-11-06 10:00")])
    upload("deals", [deal("2026-11-05")])
    assert lines(compute(), ["kam", "type", "kam_commission"]) == [["张三", "lead_deal", D("200.00")]]


# ---------------------------------------------------------------------------------------------------
# unattributed 无归属 and its reasons


def test_deal_without_any_lead_is_unattributed_no_lead(upload, compute):
    upload("deals", [deal("2026-11-05")])
    assert lines(compute()) == [
        ["", P, "1-101", "unattributed", "no_lead", D("0.00"), D("4000.00"), "commission", "2026-11"]
    ]


def test_deal_with_a_lead_only_after_the_signed_date_is_unattributed_no_lead(upload, compute):
    upload("leads", [lead("2026-11-06 00:00")])
    upload("deals", [deal("2026-11-05")])
    assert lines(compute(), ["kam", "type", "reason"]) == [["", "unattributed", "no_lead"]]


def test_deal_whose_every_lead_was_an_overlap_is_unattributed_registry_overlap(upload, compute):
    upload("registrations", [{"registered_at": "2026-11-01 09:00", "phone": P}])
    upload("leads", [lead("2026-11-01 10:00", kam="张三"), lead("2026-11-02 10:00", kam="李四")])
    upload("deals", [deal("2026-11-05")])
    assert lines(compute(), ["kam", "type", "reason", "kam_commission"]) == [
        ["", "unattributed", "registry_overlap", D("0.00")]
    ]


def test_deal_after_the_claim_lapsed_is_unattributed_claim_lapsed(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("deals", [deal("2026-11-09")])
    assert lines(compute(protection_days=7), ["kam", "type", "reason", "kam_commission"]) == [
        ["", "unattributed", "claim_lapsed", D("0.00")]
    ]


@pytest.mark.parametrize(
    ("signed_at", "kam", "type_"),
    [("2026-11-07", "张三", "lead_deal"), ("2026-11-08", "", "unattributed")],
)
def test_a_deal_on_the_lapse_date_counts_at_the_end_of_that_day(upload, compute, signed_at, kam, type_):
    # Claim from 11-01 10:00 with 7 days lapses 11-08 10:00; a deal on 11-08 happens at 23:59:59.
    upload("leads", [lead("2026-11-01 10:00")])
    upload("deals", [deal(signed_at)])
    assert lines(compute(protection_days=7), ["kam", "type"]) == [[kam, type_]]


# ---------------------------------------------------------------------------------------------------
# Deals are dated by day; the claim decides, not employment


def test_a_lead_and_a_valid_visit_later_on_the_signed_date_still_count(upload, compute):
    upload("leads", [lead("2026-11-05 18:00")])
    upload("visits", [visit("2026-11-05 19:00")])
    upload("deals", [deal("2026-11-05 09:00")])  # the time of signed_at is ignored
    res = compute()
    assert res.visits[["kam", "status"]].values.tolist() == [["张三", "valid"]]
    assert lines(res, ["kam", "type", "kam_commission", "month"]) == [
        ["张三", "visit_deal", D("2000.00"), "2026-11"]
    ]


def test_a_deal_after_the_kams_end_date_is_still_that_kams(upload, compute):
    upload("roster", [{"kam": "张三", "start_date": "2026-10-01", "end_date": "2026-11-10"}])
    upload("leads", [lead("2026-11-01 10:00")])
    upload("visits", [visit("2026-11-02 10:00")])
    upload("deals", [deal("2026-12-15")])
    assert lines(compute(), ["kam", "type", "kam_commission", "month"]) == [
        ["张三", "visit_deal", D("2000.00"), "2026-12"]
    ]


# ---------------------------------------------------------------------------------------------------
# Cancelled deals 退房: a clawback line 追回 in the month of cancelled_at


def test_a_cancelled_attributed_deal_keeps_its_line_and_adds_a_clawback_in_the_cancelled_month(
    upload, compute
):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("visits", [visit("2026-11-02 10:00")])
    upload("deals", [deal("2026-11-05", "4000", status="退房", cancelled_at="2026-12-03")])
    assert lines(compute()) == [
        ["张三", P, "1-101", "visit_deal", "", D("2000.00"), D("2000.00"), "commission", "2026-11"],
        ["张三", P, "1-101", "visit_deal", "", D("-2000.00"), D("-2000.00"), "clawback", "2026-12"],
    ]


def test_a_deal_uploaded_again_later_as_cancelled_produces_its_clawback(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("deals", [deal("2026-11-05", "4000")])
    upload("deals", [deal("2026-11-05", "4000", status="退房", cancelled_at="2027-01-10")])
    assert lines(compute()) == [
        ["张三", P, "1-101", "lead_deal", "", D("200.00"), D("4000.00"), "commission", "2026-11"],
        ["张三", P, "1-101", "lead_deal", "", D("-200.00"), D("-4000.00"), "clawback", "2027-01"],
    ]


def test_a_cancellation_uploaded_with_another_time_on_the_signed_date_replaces_the_same_deal(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("deals", [deal("2026-11-05 09:00", "4000")])
    upload("deals", [deal("2026-11-05 15:00", "4000", status="已退房", cancelled_at="2026-12-01")])
    assert lines(compute(), ["kam", "property", "kam_commission", "line", "month"]) == [
        ["张三", "1-101", D("200.00"), "commission", "2026-11"],
        ["张三", "1-101", D("-200.00"), "clawback", "2026-12"],
    ]


def test_a_cancelled_deal_without_cancelled_at_is_clawed_back_in_its_signed_month_with_a_warning(
    upload, compute
):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("deals", [deal("2026-11-05", "4000", status="退房")])
    res = compute()
    assert lines(res, ["kam", "kam_commission", "line", "month"]) == [
        ["张三", D("200.00"), "commission", "2026-11"],
        ["张三", D("-200.00"), "clawback", "2026-11"],
    ]
    assert res.warnings[["kind", "column", "code"]].values.tolist() == [
        ["deals", "退房日期", "cancelled_without_date"]
    ]


def test_a_cancelled_unattributed_deal_has_no_clawback(upload, compute):
    upload("deals", [deal("2026-11-05", "4000", status="退房", cancelled_at="2026-12-03")])
    assert lines(compute(), ["kam", "type", "kam_commission", "line", "month"]) == [
        ["", "unattributed", D("0.00"), "commission", "2026-11"]
    ]


# ---------------------------------------------------------------------------------------------------
# Money: exact decimals, rounded half-up to 0.01


@pytest.mark.parametrize(
    ("salesperson_commission", "kam_commission", "salesperson_net"),
    [
        ("4000", D("2000.00"), D("2000.00")),
        ("3333.33", D("1666.67"), D("1666.66")),  # 1666.665 → 1666.67
        ("0.01", D("0.01"), D("0.00")),  # 0.005 → 0.01
        ("1.11", D("0.56"), D("0.55")),  # 0.555 → 0.56
        ("0.03", D("0.02"), D("0.01")),  # 0.015 → 0.02
        ("¥12,345.67元", D("6172.84"), D("6172.83")),  # 6172.835 → 6172.84
    ],
)
def test_visit_share_is_rounded_half_up_to_a_cent_and_net_is_taken_after_rounding(
    upload, compute, salesperson_commission, kam_commission, salesperson_net
):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("visits", [visit("2026-11-02 10:00")])
    upload("deals", [deal("2026-11-05", salesperson_commission)])
    assert lines(compute(), ["kam_commission", "salesperson_net"]) == [[kam_commission, salesperson_net]]


def test_money_values_are_decimals(upload, compute):
    upload("leads", [lead("2026-11-01 10:00"), lead("2026-11-01 10:00", phone=P2)])
    upload("visits", [visit("2026-11-02 10:00")])
    upload(
        "deals",
        [
            deal("2026-11-05", "3333.33", status="退房", cancelled_at="2026-12-01"),
            deal("2026-11-05", "1000", phone=P2),
            deal("2026-11-05", "1000", phone=P3),
        ],
    )
    res = compute()
    money = res.commissions[["salesperson_commission", "kam_commission", "salesperson_net"]]
    assert len(money) == 4
    assert all(isinstance(v, D) for v in money.values.ravel())
    statement = res.statement[["commission", "clawback", "fines", "net"]]
    assert len(statement) > 0
    assert all(isinstance(v, D) for v in statement.values.ravel())


# ---------------------------------------------------------------------------------------------------
# §5 Monthly statement 月度结算


def test_monthly_statement_nets_commission_clawback_and_fines_per_kam_and_month(upload, compute):
    # Weeks start on Monday 2026-11-02. Quota: one valid lead a week, 5 per missing one.
    upload("leads", [lead("2026-11-02", phone=P), lead("2026-11-02", phone=P2)])
    upload("visits", [visit("2026-11-03 10:00", phone=P)])
    upload(
        "deals",
        [
            deal("2026-11-04", "4000", phone=P),  # visit_deal: 2,000
            deal("2026-11-05", "3000", phone=P2, status="退房", cancelled_at="2026-12-02"),  # lead_deal: 200
            deal("2026-11-06", "5000", phone=P3),  # unattributed: in no statement
        ],
    )
    res = compute(targets={"units": 0, "batches": 0, "numbers": 1}, fines={"numbers": 5})
    # as_of = 2026-12-02 (the latest cancelled_at): weeks ending 11-08 (met), 11-15, 11-22, 11-29 (5 each)
    # are assessed; the week of 11-30 is in progress and unfined.
    assert res.statement[["kam", "month", "commission", "clawback", "fines", "net"]].values.tolist() == [
        ["张三", "2026-11", D("2200.00"), D("0.00"), D("15.00"), D("2185.00")],
        ["张三", "2026-12", D("0.00"), D("200.00"), D("0.00"), D("-200.00")],
    ]


def test_unattributed_deals_appear_in_no_statement(upload, compute):
    upload(
        "deals",
        [
            deal("2026-11-05", "4000"),
            deal("2026-11-06", "5000", phone=P2, status="退房", cancelled_at="2026-12-01"),
        ],
    )
    res = compute()
    assert lines(res, ["kam", "type"]) == [["", "unattributed"], ["", "unattributed"]]
    assert res.statement.values.tolist() == []
