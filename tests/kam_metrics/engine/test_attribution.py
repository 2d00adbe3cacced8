"""SPEC §3 Attribution (判客): the status of every lead, visit and unit, check by check, in the spec's words."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def compute(compute_both_paths):
    """Every test of this module runs on both attribution paths (tests/kam_metrics/engine/conftest.py)."""
    return compute_both_paths


ts = pd.Timestamp

P = "13800000001"  # the customer's phone in most tests
P2 = "13900000002"


def rows(frame, *columns):
    """The frame's rows, in its own order, as lists of the given columns."""
    return frame[list(columns)].values.tolist()


def lead(at, kam="张三", phone=P, name=None):
    return {"reported_at": at, "kam": kam, "phone": phone, "customer_name": name}


def visit(at, kam="张三", phone=P, name=None, salesperson="李销售"):
    return {"visited_at": at, "kam": kam, "phone": phone, "customer_name": name, "salesperson": salesperson}


def registration(at, phone=P):
    return {"registered_at": at, "phone": phone}


# ---------------------------------------------------------------------------------------------------
# Leads — check 1: registry_overlap 已在案场登记


def test_lead_after_a_registration_of_its_phone_is_registry_overlap(upload, compute):
    upload("registrations", [registration("2026-11-02 09:00")])
    upload("leads", [lead("2026-11-02 10:00")])
    assert rows(compute().leads, "kam", "phone", "status") == [["张三", P, "registry_overlap"]]


def test_lead_at_the_same_moment_as_a_registration_is_registry_overlap(upload, compute):
    upload("registrations", [registration("2026-11-02 10:00")])
    upload("leads", [lead("2026-11-02 10:00")])
    assert rows(compute().leads, "kam", "phone", "status") == [["张三", P, "registry_overlap"]]


def test_lead_before_the_registration_of_its_phone_is_valid(upload, compute):
    upload("registrations", [registration("2026-11-02 10:01")])
    upload("leads", [lead("2026-11-02 10:00")])
    assert rows(compute().leads, "kam", "phone", "status") == [["张三", P, "valid"]]


def test_registration_of_another_phone_is_no_overlap(upload, compute):
    upload("registrations", [registration("2026-11-01 09:00", phone=P2)])
    upload("leads", [lead("2026-11-02 10:00")])
    assert rows(compute().leads, "kam", "phone", "status") == [["张三", P, "valid"]]


# "Before": different dates by date; same date with both times by time; either date-only → the KAM's lead
# counts as before the registration.
@pytest.mark.parametrize(
    ("registered_at", "reported_at", "status"),
    [
        ("2026-11-01 23:59", "2026-11-02 00:01", "registry_overlap"),  # earlier date
        ("2026-11-01", "2026-11-02 10:00", "registry_overlap"),  # earlier date, date-only registration
        ("2026-11-01 10:00", "2026-11-02", "registry_overlap"),  # earlier date, date-only lead
        ("2026-11-03 00:01", "2026-11-02 23:59", "valid"),  # later date
        ("2026-11-02 09:59", "2026-11-02 10:00", "registry_overlap"),  # same date, both timed: by time
        ("2026-11-02 10:00:01", "2026-11-02 10:00", "valid"),
        ("2026-11-02 00:00", "2026-11-02", "valid"),  # date-only lead vs same-date registration
        ("2026-11-02", "2026-11-02 23:59", "valid"),  # date-only registration vs same-date timed lead
        ("2026-11-02", "2026-11-02", "valid"),  # both date-only
        pytest.param(  # both times known (midnight) and equal
            "2026-11-02 00:00", "2026-11-02 00:00", "registry_overlap"
        ),
    ],
)
def test_registry_overlap_follows_the_before_rule(upload, compute, registered_at, reported_at, status):
    upload("registrations", [registration(registered_at)])
    upload("leads", [lead(reported_at)])
    assert rows(compute().leads, "phone", "status") == [[P, status]]


# ---------------------------------------------------------------------------------------------------
# Leads — checks 2–4


def test_second_lead_of_the_claim_holder_is_duplicate_own(upload, compute):
    upload("leads", [lead("2026-11-02 10:00"), lead("2026-11-03 10:00")])
    assert rows(compute().leads, "kam", "phone", "reported_at", "status") == [
        ["张三", P, ts("2026-11-02 10:00"), "valid"],
        ["张三", P, ts("2026-11-03 10:00"), "duplicate_own"],
    ]


def test_lead_on_a_phone_claimed_by_another_kam_is_owned_by_other(upload, compute):
    upload("leads", [lead("2026-11-02 10:00", kam="张三"), lead("2026-11-02 11:00", kam="李四")])
    res = compute()
    assert rows(res.leads, "kam", "phone", "status", "claim_kam") == [
        ["张三", P, "valid", "张三"],
        ["李四", P, "owned_by_other", "张三"],
    ]


def test_first_lead_on_a_free_phone_is_valid_and_wins_the_claim(upload, compute):
    upload("leads", [lead("2026-11-02 10:00", kam="张三"), lead("2026-11-02 10:00", kam="李四", phone=P2)])
    res = compute()
    assert rows(res.leads, "kam", "phone", "status", "claim_kam") == [
        ["张三", P, "valid", "张三"],
        ["李四", P2, "valid", "李四"],
    ]
    assert sorted(rows(res.claims, "phone", "kam")) == [[P, "张三"], [P2, "李四"]]


def test_registry_overlap_is_checked_before_the_claim(upload, compute):
    # 李四's lead after the registration is an overlap even though 张三 holds the claim.
    upload("leads", [lead("2026-11-02 09:00", kam="张三"), lead("2026-11-02 11:00", kam="李四")])
    upload("registrations", [registration("2026-11-02 10:00")])
    assert rows(compute().leads, "kam", "status") == [["张三", "valid"], ["李四", "registry_overlap"]]


def test_an_overlapping_lead_wins_no_claim(upload, compute):
    upload("registrations", [registration("2026-11-02 09:00", phone=P2)])
    upload("leads", [lead("2026-11-02 10:00", phone=P2)])
    assert rows(compute().claims, "phone", "kam") == []


# ---------------------------------------------------------------------------------------------------
# Order: timestamp, then upload order, then row number; at equal timestamps leads before visits.


def test_the_earlier_timestamp_wins_whatever_the_upload_order(upload, compute):
    upload("leads", [lead("2026-11-02 11:00", kam="李四")])
    upload("leads", [lead("2026-11-02 10:00", kam="张三")])
    assert rows(compute().leads, "kam", "status") == [["张三", "valid"], ["李四", "owned_by_other"]]


def test_at_equal_timestamps_the_earlier_upload_wins(upload, compute):
    upload("leads", [lead("2026-11-02 10:00", kam="李四")])
    upload("leads", [lead("2026-11-02 10:00", kam="张三")])
    assert rows(compute().leads, "kam", "status") == [["李四", "valid"], ["张三", "owned_by_other"]]


@pytest.mark.parametrize(
    ("first_row", "second_row"),
    [("张三", "李四"), ("李四", "张三")],
)
def test_at_equal_timestamps_in_one_upload_the_earlier_row_wins(upload, compute, first_row, second_row):
    upload("leads", [lead("2026-11-02 10:00", kam=first_row), lead("2026-11-02 10:00", kam=second_row)])
    assert rows(compute().leads, "kam", "status") == [[first_row, "valid"], [second_row, "owned_by_other"]]


def test_at_equal_timestamps_date_only_rows_follow_upload_order(upload, compute):
    upload("leads", [lead("2026-11-02", kam="李四")])
    upload("leads", [lead("2026-11-02", kam="张三")])
    assert rows(compute().leads, "kam", "status") == [["李四", "valid"], ["张三", "owned_by_other"]]


def test_at_equal_timestamps_a_lead_is_decided_before_a_visit(upload, compute):
    # 张三's claim lapsed at 11-02 10:00; 李四's lead at that very moment takes the phone, and 张三's visit,
    # uploaded earlier but decided after the lead, sees 李四 holding the claim.
    upload("leads", [lead("2026-11-01 10:00", kam="张三")])
    upload("visits", [visit("2026-11-02 10:00", kam="张三")])
    upload("leads", [lead("2026-11-02 10:00", kam="李四")])
    res = compute(protection_days=1)
    assert rows(res.leads, "kam", "status", "claim_kam") == [
        ["张三", "valid", "张三"],
        ["李四", "valid", "李四"],
    ]
    assert rows(res.visits, "kam", "status", "claim_kam") == [["张三", "no_valid_claim", "李四"]]


# ---------------------------------------------------------------------------------------------------
# protection_days


def test_a_claim_never_lapses_by_default(upload, compute):
    upload("leads", [lead("2026-01-05 10:00", kam="张三"), lead("2026-12-28 10:00", kam="李四")])
    assert rows(compute().leads, "kam", "status") == [["张三", "valid"], ["李四", "owned_by_other"]]


@pytest.mark.parametrize(
    ("protection_days", "other_lead_at", "status"),
    [
        (1, "2026-11-02 09:59:59", "owned_by_other"),  # t < reported_at + 24 h: in force
        (1, "2026-11-02 10:00", "valid"),  # t = reported_at + 24 h: lapsed
        (7, "2026-11-08 09:59:59", "owned_by_other"),
        (7, "2026-11-08 10:00", "valid"),
        (0, "2027-11-01 10:00", "owned_by_other"),
    ],
)
def test_a_claim_is_in_force_while_t_is_before_reported_at_plus_n_days(
    upload, compute, protection_days, other_lead_at, status
):
    upload("leads", [lead("2026-11-01 10:00", kam="张三"), lead(other_lead_at, kam="李四")])
    assert rows(compute(protection_days=protection_days).leads, "kam", "status") == [
        ["张三", "valid"],
        ["李四", status],
    ]


def test_a_lapsed_claim_frees_the_phone_for_another_kams_later_lead(upload, compute):
    upload("leads", [lead("2026-11-01 10:00", kam="张三"), lead("2026-11-09 10:00", kam="李四")])
    res = compute(protection_days=7)
    assert rows(res.leads, "kam", "status", "claim_kam") == [
        ["张三", "valid", "张三"],
        ["李四", "valid", "李四"],
    ]
    assert rows(res.claims, "phone", "kam") == [[P, "张三"], [P, "李四"]]


def test_after_a_lapse_the_former_holders_next_lead_is_checked_afresh(upload, compute):
    upload("leads", [lead("2026-11-01 10:00"), lead("2026-11-09 10:00")])
    assert rows(compute(protection_days=7).leads, "kam", "status") == [["张三", "valid"], ["张三", "valid"]]


def test_a_valid_visit_before_the_lapse_keeps_the_claim_for_ever(upload, compute):
    upload("leads", [lead("2026-11-01 10:00", kam="张三"), lead("2027-03-01 10:00", kam="李四")])
    upload("visits", [visit("2026-11-07 10:00", kam="张三")])
    res = compute(protection_days=7)
    assert rows(res.visits, "kam", "status") == [["张三", "valid"]]
    assert rows(res.leads, "kam", "status") == [["张三", "valid"], ["李四", "owned_by_other"]]
    assert rows(res.claims, "kam") == [["张三"]]
    assert res.claims["lapse_ts"].isna().tolist() == [True]  # lapses never


def test_a_duplicate_own_lead_does_not_renew_the_claim(upload, compute):
    upload(
        "leads",
        [
            lead("2026-11-01 10:00", kam="张三"),
            lead("2026-11-07 10:00", kam="张三"),
            lead("2026-11-08 10:00", kam="李四"),
        ],
    )
    assert rows(compute(protection_days=7).leads, "kam", "status") == [
        ["张三", "valid"],
        ["张三", "duplicate_own"],
        ["李四", "valid"],
    ]


# ---------------------------------------------------------------------------------------------------
# Visits — check 1: not_reported 未提前报备


def test_visit_without_a_lead_is_not_reported(upload, compute):
    upload("visits", [visit("2026-11-02 10:00")])
    assert rows(compute().visits, "kam", "phone", "status") == [["张三", P, "not_reported"]]


def test_visit_with_only_another_kams_lead_is_not_reported(upload, compute):
    upload("leads", [lead("2026-11-01 10:00", kam="李四")])
    upload("visits", [visit("2026-11-02 10:00", kam="张三")])
    assert rows(compute().visits, "kam", "status") == [["张三", "not_reported"]]


def test_visit_with_a_lead_for_another_phone_is_not_reported(upload, compute):
    upload("leads", [lead("2026-11-01 10:00", phone=P2)])
    upload("visits", [visit("2026-11-02 10:00", phone=P)])
    assert rows(compute().visits, "phone", "status") == [[P, "not_reported"]]


# "Before" for a lead and a visit: reported_at < visited_at strictly when both are timed; a date-only
# value on the same date gives the KAM the benefit of the doubt.
@pytest.mark.parametrize(
    ("reported_at", "visited_at", "status"),
    [
        ("2026-11-01 23:59", "2026-11-02 00:01", "valid"),  # earlier date
        ("2026-11-03 00:01", "2026-11-02 23:59", "not_reported"),  # later date
        ("2026-11-03", "2026-11-02", "not_reported"),
        ("2026-11-02 09:59", "2026-11-02 10:00", "valid"),  # same date, both timed: by time
        ("2026-11-02 10:00", "2026-11-02 10:00", "not_reported"),  # equal timestamps: not strictly before
        ("2026-11-02 10:01", "2026-11-02 10:00", "not_reported"),
        ("2026-11-02", "2026-11-02 00:00", "valid"),  # date-only lead counts as before a same-date visit
        ("2026-11-02 23:59", "2026-11-02", "valid"),  # date-only visit: the lead counts as before
        ("2026-11-02", "2026-11-02", "valid"),
        pytest.param(  # both times known (midnight) and equal: not strictly before
            "2026-11-02 00:00", "2026-11-02 00:00", "not_reported"
        ),
    ],
)
def test_not_reported_follows_the_before_rule(upload, compute, reported_at, visited_at, status):
    upload("leads", [lead(reported_at)])
    upload("visits", [visit(visited_at)])
    assert rows(compute().visits, "kam", "status") == [["张三", status]]


# ---------------------------------------------------------------------------------------------------
# Visits — check 1b: reported_too_late 报备过晚 (防截客, min_lead_minutes = M)
# Both timed: the lead counts when reported_at <= visited_at - M minutes. Either date-only: it counts only on an
# earlier date (no benefit of the doubt on the visit's own date).
@pytest.mark.parametrize(
    ("reported_at", "visited_at", "status"),
    [
        ("2026-11-02 09:30", "2026-11-02 10:00", "valid"),  # exactly M = 30 minutes before
        ("2026-11-02 09:30:01", "2026-11-02 10:00", "reported_too_late"),  # one second less
        ("2026-11-01 23:45", "2026-11-02 00:10", "reported_too_late"),  # earlier date, both timed: by time
        ("2026-11-02", "2026-11-02 10:00", "reported_too_late"),  # date-only lead on the visit's date
        ("2026-11-02 08:00", "2026-11-02", "reported_too_late"),  # date-only visit on the lead's date
        ("2026-11-02", "2026-11-02", "reported_too_late"),  # both date-only, same date
        ("2026-11-01", "2026-11-02 00:05", "valid"),  # date-only lead on the previous date
        ("2026-11-01 23:59", "2026-11-02", "valid"),  # date-only visit, lead on the previous date
    ],
)
def test_a_visit_needs_its_lead_min_lead_minutes_before_it(upload, compute, reported_at, visited_at, status):
    upload("leads", [lead(reported_at)])
    upload("visits", [visit(visited_at)])
    assert rows(compute(min_lead_minutes=30).visits, "kam", "phone", "status") == [["张三", P, status]]


@pytest.mark.parametrize(
    ("reported_at", "visited_at"),
    [
        ("2026-11-02 09:59:59", "2026-11-02 10:00"),
        ("2026-11-02", "2026-11-02 10:00"),
        ("2026-11-02", "2026-11-02"),
    ],
)
def test_with_min_lead_minutes_0_check_1b_never_fails(upload, compute, reported_at, visited_at):
    upload("leads", [lead(reported_at)])
    upload("visits", [visit(visited_at)])
    assert rows(compute().visits, "status") == [["valid"]]


def test_not_reported_comes_before_reported_too_late(upload, compute):
    upload("leads", [lead("2026-11-02 10:00")])
    upload("visits", [visit("2026-11-02 10:00")])  # not before the visit at all
    assert rows(compute(min_lead_minutes=30).visits, "status") == [["not_reported"]]


def test_reported_too_late_comes_before_no_valid_claim(upload, compute):
    # 李四 holds the claim; 张三's own lead is also too late: 1b is the status, not check 2
    upload("leads", [lead("2026-11-01 10:00", kam="李四"), lead("2026-11-02 09:50", kam="张三")])
    upload("visits", [visit("2026-11-02 10:00", kam="张三")])
    assert rows(compute(min_lead_minutes=30).visits, "kam", "status") == [["张三", "reported_too_late"]]


def test_any_lead_of_the_kam_early_enough_counts_for_1b(upload, compute):
    # the first lead (date-only, on the visit's date) does not count, the timed one an hour before does
    upload("leads", [lead("2026-11-02"), lead("2026-11-02 09:00")])
    upload("visits", [visit("2026-11-02 10:00")])
    res = compute(min_lead_minutes=60)
    assert rows(res.leads, "reported_at", "status") == [
        [ts("2026-11-02"), "valid"],
        [ts("2026-11-02 09:00"), "duplicate_own"],
    ]
    assert rows(res.visits, "status") == [["valid"]]


def test_a_too_late_visit_is_no_valid_visit_so_the_next_one_can_be(upload, compute):
    upload("leads", [lead("2026-11-02 09:50")])
    upload("visits", [visit("2026-11-02 10:00"), visit("2026-11-02 10:30")])
    assert rows(compute(min_lead_minutes=30).visits, "visited_at", "status") == [
        [ts("2026-11-02 10:00"), "reported_too_late"],
        [ts("2026-11-02 10:30"), "valid"],  # same date: not a repeat of the first (check 3 counts dates)
    ]


# ---------------------------------------------------------------------------------------------------
# Visits — check 2: no_valid_claim 报备无效


def test_visit_after_an_overlapping_lead_has_no_valid_claim(upload, compute):
    upload("registrations", [registration("2026-11-02 09:00")])
    upload("leads", [lead("2026-11-02 10:00")])
    upload("visits", [visit("2026-11-02 11:00")])
    res = compute()
    assert rows(res.leads, "kam", "status") == [["张三", "registry_overlap"]]
    assert rows(res.visits, "kam", "status") == [["张三", "no_valid_claim"]]


def test_visit_after_a_lead_owned_by_another_kam_has_no_valid_claim(upload, compute):
    upload("leads", [lead("2026-11-02 09:00", kam="李四"), lead("2026-11-02 10:00", kam="张三")])
    upload("visits", [visit("2026-11-02 11:00", kam="张三")])
    assert rows(compute().visits, "kam", "status", "claim_kam") == [["张三", "no_valid_claim", "李四"]]


@pytest.mark.parametrize(
    ("visited_at", "status"),
    [("2026-11-07 23:59:59", "valid"), ("2026-11-08 00:00", "no_valid_claim")],
)
def test_visit_after_the_claim_lapsed_has_no_valid_claim(upload, compute, visited_at, status):
    upload("leads", [lead("2026-11-01 00:00")])
    upload("visits", [visit(visited_at)])
    assert rows(compute(protection_days=7).visits, "kam", "status") == [["张三", status]]


# ---------------------------------------------------------------------------------------------------
# Visits — check 3: not_first_visit 非首访


def test_visit_after_a_registration_on_an_earlier_date_is_not_first_visit(upload, compute):
    upload("leads", [lead("2026-11-01 09:00")])
    upload("registrations", [registration("2026-11-01 12:00")])
    upload("visits", [visit("2026-11-02 10:00")])
    res = compute()
    assert rows(res.leads, "kam", "status") == [["张三", "valid"]]
    assert rows(res.visits, "kam", "status") == [["张三", "not_first_visit"]]


@pytest.mark.parametrize("registered_at", ["2026-11-02 09:00", "2026-11-02 18:00", "2026-11-02"])
def test_visit_on_registration_day_is_still_first_visit(upload, compute, registered_at):
    upload("leads", [lead("2026-11-01 09:00")])
    upload("registrations", [registration(registered_at)])
    upload("visits", [visit("2026-11-02 10:00")])
    assert rows(compute().visits, "kam", "status") == [["张三", "valid"]]


def test_an_earlier_visit_of_another_kam_with_any_status_makes_it_not_first_visit(upload, compute):
    upload("leads", [lead("2026-11-01 09:00", kam="张三")])
    upload("visits", [visit("2026-11-01 10:00", kam="王五"), visit("2026-11-02 10:00", kam="张三")])
    assert rows(compute().visits, "kam", "status") == [["王五", "not_reported"], ["张三", "not_first_visit"]]


def test_an_earlier_invalid_visit_of_the_same_kam_makes_it_not_first_visit(upload, compute):
    upload("leads", [lead("2026-11-01 09:00")])
    upload("visits", [visit("2026-11-01 10:00", salesperson=None), visit("2026-11-02 10:00")])
    assert rows(compute().visits, "kam", "status") == [["张三", "no_handover"], ["张三", "not_first_visit"]]


def test_an_earlier_visit_on_the_same_date_does_not_make_it_not_first_visit(upload, compute):
    upload("leads", [lead("2026-11-01 09:00", kam="张三")])
    upload("visits", [visit("2026-11-02 09:00", kam="王五"), visit("2026-11-02 10:00", kam="张三")])
    assert rows(compute().visits, "kam", "status") == [["王五", "not_reported"], ["张三", "valid"]]


# ---------------------------------------------------------------------------------------------------
# Visits — check 4: duplicate_visit 重复带访


def test_second_visit_of_the_same_kam_on_the_same_date_is_duplicate_visit(upload, compute):
    upload("leads", [lead("2026-11-01 09:00")])
    upload("visits", [visit("2026-11-02 10:00"), visit("2026-11-02 15:00")])
    assert rows(compute().visits, "kam", "visited_at", "status") == [
        ["张三", ts("2026-11-02 10:00"), "valid"],
        ["张三", ts("2026-11-02 15:00"), "duplicate_visit"],
    ]


def test_an_invalid_earlier_visit_does_not_make_a_duplicate_visit(upload, compute):
    upload("leads", [lead("2026-11-01 09:00")])
    upload("visits", [visit("2026-11-02 10:00", salesperson=None), visit("2026-11-02 15:00")])
    assert rows(compute().visits, "kam", "status") == [["张三", "no_handover"], ["张三", "valid"]]


# ---------------------------------------------------------------------------------------------------
# Visits — check 5: name_mismatch 信息不符


@pytest.mark.parametrize(
    ("lead_name", "visit_name", "status"),
    [
        ("王伟", "王伟", "valid"),  # equal
        ("王 伟", "王伟", "valid"),  # equal after normalisation
        ("王先生", "王伟", "valid"),  # surname + honorific vs a name starting with it
        ("王伟", "王先生", "valid"),  # either side may carry the honorific
        ("王总", "王经理", "valid"),
        ("欧阳女士", "欧阳娜娜", "valid"),  # a two-character surname
        ("张小姐", "张敏", "valid"),
        ("陈老师", "陈静", "valid"),
        ("王先生", "李伟", "name_mismatch"),
        ("王伟", "王芳", "name_mismatch"),
        (None, "王伟", "valid"),  # a missing name on either side is no mismatch
        ("王伟", None, "valid"),
        (None, None, "valid"),
    ],
)
def test_name_mismatch_compares_the_visit_with_the_claiming_lead(
    upload, compute, lead_name, visit_name, status
):
    upload("leads", [lead("2026-11-01 09:00", name=lead_name)])
    upload("visits", [visit("2026-11-02 10:00", name=visit_name)])
    assert rows(compute().visits, "kam", "status") == [["张三", status]]


def test_name_mismatch_uses_the_claiming_lead_not_a_later_duplicate(upload, compute):
    upload("leads", [lead("2026-11-01 09:00", name="王伟"), lead("2026-11-01 12:00", name="李娜")])
    upload("visits", [visit("2026-11-02 10:00", name="李娜")])
    res = compute()
    assert rows(res.leads, "customer_name", "status") == [["王伟", "valid"], ["李娜", "duplicate_own"]]
    assert rows(res.visits, "customer_name", "status") == [["李娜", "name_mismatch"]]


# ---------------------------------------------------------------------------------------------------
# Visits — checks 6 and 7: no_handover 未转交置业顾问, valid


def test_visit_without_a_salesperson_is_no_handover(upload, compute):
    upload("leads", [lead("2026-11-01 09:00")])
    upload("visits", [visit("2026-11-02 10:00", salesperson=None)])
    assert rows(compute().visits, "kam", "status") == [["张三", "no_handover"]]


def test_a_reported_first_visit_of_the_claim_holder_handed_to_a_salesperson_is_valid(upload, compute):
    upload("leads", [lead("2026-11-01 09:00", name="王先生")])
    upload("visits", [visit("2026-11-02 10:00", name="王伟", salesperson="李销售")])
    res = compute()
    assert rows(res.visits, "kam", "phone", "customer_name", "salesperson", "status", "claim_kam") == [
        ["张三", P, "王伟", "李销售", "valid", "张三"]
    ]


# ---------------------------------------------------------------------------------------------------
# Units — checks 1–3


def unit(date, name, kam="张三", photo="http://img/1.jpg"):
    return {"date": date, "kam": kam, "unit_name": name, "photo": photo}


def test_unit_without_a_photo_is_no_photo(upload, compute):
    upload("units", [unit("2026-11-02", "保利物业", photo=None)])
    assert rows(compute().units, "kam", "unit_name", "status") == [["张三", "保利物业", "no_photo"]]


def test_unit_with_a_photo_and_a_new_name_is_valid(upload, compute):
    upload("units", [unit("2026-11-02", "保利物业"), unit("2026-11-02", "华为南方基地")])
    assert rows(compute().units, "kam", "unit_name", "status") == [
        ["张三", "保利物业", "valid"],
        ["张三", "华为南方基地", "valid"],
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("保利物业", "保利物业"),
        ("保利 物业", "保利物业"),  # white space ignored
        ("Poly Property", "polyproperty"),  # case ignored
        ("ＡＢＣ公司", "abc 公司"),  # NFKC: full-width letters
    ],
)
def test_unit_with_the_name_key_of_a_valid_unit_is_duplicate_unit_for_any_kam_and_date(
    upload, compute, first, second
):
    upload("units", [unit("2026-11-02", first, kam="张三"), unit("2026-11-20", second, kam="李四")])
    assert rows(compute().units, "kam", "status") == [["张三", "valid"], ["李四", "duplicate_unit"]]


def test_a_unit_without_photo_does_not_block_a_later_unit_of_the_same_name(upload, compute):
    upload("units", [unit("2026-11-02", "保利物业", photo=None), unit("2026-11-03", "保利物业", kam="李四")])
    assert rows(compute().units, "kam", "status") == [["张三", "no_photo"], ["李四", "valid"]]


def test_no_photo_is_checked_before_duplicate_unit(upload, compute):
    upload("units", [unit("2026-11-02", "保利物业"), unit("2026-11-03", "保利物业", photo=None)])
    assert rows(compute().units, "kam", "status") == [["张三", "valid"], ["张三", "no_photo"]]


def test_the_earlier_dated_unit_is_the_valid_one_whatever_the_upload_order(upload, compute):
    upload("units", [unit("2026-11-05", "保利物业", kam="李四")])
    upload("units", [unit("2026-11-02", "保利物业", kam="张三")])
    assert rows(compute().units, "kam", "status") == [["张三", "valid"], ["李四", "duplicate_unit"]]
