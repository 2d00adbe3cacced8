"""One as_of for everything (issue 10): rows dated after the end of as_of do not exist for that computation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import pytest

from kam_metrics.contract.results import RESULT_COLUMNS
from tests.helpers import deal_row

P, P2, P3 = "13800000001", "13900000002", "13700000003"
NOV_15 = dt.date(2026, 11, 15)
LINE = ["kam", "phone", "property", "type", "status", "kam_commission", "line", "month"]


@pytest.fixture
def compute(compute_both_paths):
    """Every test of this module runs on both attribution paths (tests/kam_metrics/engine/conftest.py)."""
    return compute_both_paths


def lead(at, phone=P, kam="张三"):
    return {"reported_at": at, "kam": kam, "phone": phone}


def deal(signed_at, phone=P, prop="1-101", commission="4000", **extra):
    return deal_row(phone, signed_at, prop, commission, **extra)


def lines(res):
    return res.commissions[LINE].values.tolist()


def test_deals_signed_after_as_of_have_no_line_and_no_commission_in_the_month(upload, compute):
    """The issue's case: at as_of 11-15 the 2026-11 commission holds only deals signed by 11-15."""
    upload("leads", [lead("2026-11-01 10:00"), lead("2026-11-02 10:00", P2), lead("2026-11-03 10:00", P3)])
    upload(
        "deals",
        [deal("2026-11-15", prop="1-101"), deal("2026-11-16", P2, "1-102"), deal("2026-11-18", P3, "1-103")],
    )
    res = compute(NOV_15)
    assert lines(res) == [["张三", P, "1-101", "lead_deal", "signed", D("200.00"), "commission", "2026-11"]]
    november = res.statement[res.statement["month"] == "2026-11"]
    assert november[["kam", "commission", "clawback"]].values.tolist() == [["张三", D("200.00"), D("0.00")]]
    assert len(lines(compute())) == 3  # the default as_of (the latest date) keeps every deal


def test_a_cancellation_after_as_of_is_not_yet_a_cancellation(upload, compute):
    upload("leads", [lead("2026-11-01 10:00")])
    upload("deals", [deal("2026-11-05", status="退房", cancelled_at="2026-11-20")])
    assert lines(compute(NOV_15)) == [
        ["张三", P, "1-101", "lead_deal", "signed", D("200.00"), "commission", "2026-11"]
    ]
    assert lines(compute(dt.date(2026, 11, 20))) == [
        ["张三", P, "1-101", "lead_deal", "cancelled", D("200.00"), "commission", "2026-11"],
        ["张三", P, "1-101", "lead_deal", "cancelled", D("-200.00"), "clawback", "2026-11"],
    ]


def test_leads_visits_units_and_registrations_after_as_of_do_not_exist_and_as_of_evening_still_counts(
    upload, compute
):
    upload("registrations", [{"registered_at": "2026-11-15 23:59", "phone": P3},
                             {"registered_at": "2026-11-16 00:00", "phone": P2}])  # fmt: skip
    upload("leads", [lead("2026-11-15 23:59"), lead("2026-11-16 00:00", P2)])
    upload("visits", [{"visited_at": "2026-11-15 20:00", "kam": "张三", "phone": P, "salesperson": "李销售"},
                      {"visited_at": "2026-11-16 09:00", "kam": "张三", "phone": P2, "salesperson": "李销售"}])  # fmt: skip
    upload("units", [{"date": "2026-11-15", "kam": "张三", "unit_name": "一号楼", "photo": "a.jpg", "contact": "王"},
                     {"date": "2026-11-16", "kam": "张三", "unit_name": "二号楼", "photo": "b.jpg", "contact": "李"}])  # fmt: skip
    res = compute(NOV_15)
    assert res.leads["phone"].tolist() == [P]
    assert res.visits["phone"].tolist() == [P]
    assert res.units["unit_name"].tolist() == ["一号楼"]
    assert res.registrations["phone"].tolist() == [P3]
    later = compute()
    assert sorted(later.leads["phone"]) == sorted([P, P2])
    assert later.units["unit_name"].tolist() == ["一号楼", "二号楼"]


def test_the_default_as_of_and_the_latest_date_given_compute_the_same_results(upload, compute):
    upload("leads", [lead("2026-11-01 10:00"), lead("2026-11-09 10:00", P2)])
    upload("visits", [{"visited_at": "2026-11-02 10:00", "kam": "张三", "phone": P, "salesperson": "李销售"}])
    upload(
        "deals",
        [deal("2026-11-05"), deal("2026-11-10", P2, "1-102", status="退房", cancelled_at="2026-11-12")],
    )
    default = compute()
    given = compute(default.as_of)
    assert default.as_of == dt.date(2026, 11, 12)
    for name in RESULT_COLUMNS:
        pd.testing.assert_frame_equal(getattr(default, name), getattr(given, name), check_dtype=False)
