"""Weekly assessment (SPEC §4): counts, shortfalls, fines, streaks, flags, as_of, who is assessed and when."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam_metrics.engine.assessment import WEEKLY_COLUMNS

MON = dt.date(2026, 11, 2)  # Monday of ISO week 2026-W45


def monday(n: int) -> dt.date:
    """The Monday n weeks after 2026-11-02 (n=0 is 2026-W45)."""
    return MON + dt.timedelta(weeks=n)


def at(day: dt.date, hh: int = 10, mm: int = 0) -> str:
    return f"{day.isoformat()} {hh:02d}:{mm:02d}"


def phone(n: int) -> str:
    return f"138{n:08d}"


def lead(kam: str, n: int, when: str, name: str | None = None) -> dict:
    return {"reported_at": when, "kam": kam, "phone": phone(n), "customer_name": name}


def visit(kam: str, n: int, when: str, salesperson: str | None = "李销售") -> dict:
    return {"visited_at": when, "kam": kam, "phone": phone(n), "salesperson": salesperson}


def unit(kam: str, day: dt.date, name: str, photo: str | None = "photo.jpg") -> dict:
    return {"date": day.isoformat(), "kam": kam, "unit_name": name, "photo": photo}


def rows(frame, kam: str | None = None) -> list[dict]:
    """Weekly rows (optionally of one KAM) as dicts in WEEKLY_COLUMNS order, plain Python values."""
    if kam is not None:
        frame = frame[frame["kam"] == kam]
    return [
        {c: (v.item() if hasattr(v, "item") and not isinstance(v, Decimal) else v) for c, v in r.items()}
        for r in frame[WEEKLY_COLUMNS].to_dict("records")
    ]


def weekly_row(kam, team, week, week_start, counts, shorts, fine, met, streak, flag, in_progress=False):
    return {
        "kam": kam,
        "team": team,
        "week": week,
        "week_start": week_start,
        "units": counts[0],
        "batches": counts[1],
        "numbers": counts[2],
        "units_short": shorts[0],
        "batches_short": shorts[1],
        "numbers_short": shorts[2],
        "fine": Decimal(fine),
        "met": met,
        "missed_streak": streak,
        "flag": flag,
        "in_progress": in_progress,
    }


def project(frame, kam: str, *columns: str) -> list[tuple]:
    mine = frame[frame["kam"] == kam]
    return [
        tuple(v.item() if hasattr(v, "item") else v for v in r)
        for r in mine[list(columns)].itertuples(index=False)
    ]


# Only "numbers" matters: a week is met by one valid lead, missed otherwise.
ONE_LEAD_MEETS = {"targets": {"units": 0, "batches": 0, "numbers": 1}}


# --- counts, shortfall, fine, met ---------------------------------------------------------------


@pytest.fixture
def mixed_week(upload):
    """张三 in 2026-W45: 1 valid unit of 3, 1 valid visit of 3, 3 valid leads of 5."""
    upload(
        "leads",
        [
            lead("张三", 1, at(MON, 9)),
            lead("张三", 2, at(MON, 10)),
            lead("张三", 3, at(MON, 11)),
            lead("张三", 1, at(MON, 12)),  # duplicate_own
            lead("张三", 4, at(MON, 13)),  # registry_overlap
        ],
    )
    upload("registrations", [{"registered_at": at(MON, 8), "phone": phone(4)}])
    upload(
        "visits",
        [
            visit("张三", 1, at(MON + dt.timedelta(days=1))),  # valid
            visit("张三", 2, at(MON + dt.timedelta(days=1), 11), salesperson=None),  # no_handover
            visit("张三", 9, at(MON + dt.timedelta(days=1), 12)),  # not_reported
        ],
    )
    upload(
        "units",
        [
            unit("张三", MON, "甲公司"),  # valid
            unit("张三", MON, "乙学校", photo=None),  # no_photo
            unit("张三", MON + dt.timedelta(days=2), "甲 公司"),  # duplicate_unit
        ],
    )


def test_a_week_counts_only_valid_units_visits_and_leads(mixed_week, compute):
    results = compute(as_of=MON + dt.timedelta(days=6))
    assert rows(results.weekly) == [
        weekly_row("张三", "", "2026-W45", MON, (1, 1, 3), (2, 15, 97), "447.00", False, 1, "")
    ]


@pytest.mark.parametrize(
    ("targets", "fines", "shorts", "fine", "met"),
    [
        ({"units": 1, "batches": 1, "numbers": 3}, {}, (0, 0, 0), "0", True),
        ({"units": 0, "batches": 0, "numbers": 0}, {}, (0, 0, 0), "0", True),
        ({}, {}, (2, 15, 97), "447", False),
        ({"units": 1, "batches": 2, "numbers": 3}, {}, (0, 1, 0), "10", False),
        ({"units": 2, "batches": 1, "numbers": 5}, {}, (1, 0, 2), "102", False),
        ({}, {"units": 0, "batches": 0, "numbers": 0}, (2, 15, 97), "0", False),
        ({"units": 4}, {"units": "12.5"}, (3, 15, 97), "284.5", False),
    ],
)
def test_shortfall_is_target_minus_count_fine_is_shortfall_times_rate_met_when_nothing_is_short(
    mixed_week, compute, targets, fines, shorts, fine, met
):
    fines = {k: Decimal(v) for k, v in fines.items()}
    results = compute(as_of=MON + dt.timedelta(days=6), targets=targets, fines=fines)
    row = rows(results.weekly)[0]
    assert (row["units_short"], row["batches_short"], row["numbers_short"], row["fine"], row["met"]) == (
        *shorts,
        Decimal(fine),
        met,
    )


def test_a_kam_who_did_nothing_in_an_assessed_week_gets_the_largest_fine_of_560(upload, compute):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": MON.isoformat()}])
    upload("leads", [lead("李四", 1, at(MON + dt.timedelta(days=1)))])
    results = compute(as_of=MON + dt.timedelta(days=6))
    assert rows(results.weekly, "张三") == [
        weekly_row("张三", "一组", "2026-W45", MON, (0, 0, 0), (3, 16, 100), "560.00", False, 1, "")
    ]


# --- streaks and flags ----------------------------------------------------------------------------


def test_missed_streak_counts_consecutive_missed_weeks_and_a_met_week_resets_it(upload, compute):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": MON.isoformat()}])
    pattern = [True, False, False, True, False, False, False, False, False]  # met per week
    upload("leads", [lead("张三", i, at(monday(i))) for i, met in enumerate(pattern) if met])
    results = compute(as_of=monday(len(pattern)) - dt.timedelta(days=1), **ONE_LEAD_MEETS)
    assert project(results.weekly, "张三", "met", "missed_streak", "flag") == [
        (True, 0, ""),
        (False, 1, ""),
        (False, 2, "warning"),
        (True, 0, ""),
        (False, 1, ""),
        (False, 2, "warning"),
        (False, 3, "warning"),
        (False, 4, "dismissal_review"),
        (False, 5, "dismissal_review"),
    ]


@pytest.mark.parametrize(
    ("warn_after", "review_after", "flags"),
    [
        (2, 4, ["", "warning", "warning", "dismissal_review", "dismissal_review"]),
        (1, 3, ["warning", "warning", "dismissal_review", "dismissal_review", "dismissal_review"]),
        (3, 5, ["", "", "warning", "warning", "dismissal_review"]),
        (2, 2, ["", "dismissal_review", "dismissal_review", "dismissal_review", "dismissal_review"]),
        (6, 9, ["", "", "", "", ""]),
    ],
)
def test_a_streak_from_warn_after_weeks_warns_and_from_review_after_weeks_flags_dismissal_review(
    upload, compute, warn_after, review_after, flags
):
    upload("roster", [{"kam": "张三", "start_date": MON.isoformat()}])
    upload("leads", [lead("李四", 1, at(MON))])
    results = compute(
        as_of=monday(5) - dt.timedelta(days=1),
        warn_after_weeks=warn_after,
        review_after_weeks=review_after,
    )
    assert project(results.weekly, "张三", "missed_streak", "flag") == list(
        zip([1, 2, 3, 4, 5], flags, strict=True)
    )


# --- as_of ------------------------------------------------------------------------------------------

LATER = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("registrations", {"registered_at": at(LATER), "phone": phone(7)}),
        ("units", unit("张三", LATER, "甲公司")),
        ("leads", lead("张三", 7, at(LATER))),
        ("visits", visit("张三", 7, at(LATER))),
        (
            "deals",
            {
                "signed_at": LATER.isoformat(),
                "phone": phone(7),
                "property": "A-101",
                "salesperson": "李销售",
                "salesperson_commission": "4000",
            },
        ),
        (
            "deals",
            {
                "signed_at": "2026-11-04",
                "phone": phone(7),
                "property": "A-101",
                "salesperson": "李销售",
                "salesperson_commission": "4000",
                "status": "退房",
                "cancelled_at": LATER.isoformat(),
            },
        ),
    ],
    ids=["registration", "unit", "lead", "visit", "deal_signed_at", "deal_cancelled_at"],
)
def test_as_of_defaults_to_the_latest_date_in_the_data(upload, compute, kind, row):
    upload("leads", [lead("张三", 1, at(dt.date(2026, 11, 3)))])
    upload(kind, [row])
    assert compute().as_of == LATER


def test_roster_dates_ahead_do_not_move_the_default_as_of(upload, compute):
    upload("leads", [lead("张三", 1, at(dt.date(2026, 11, 3)))])
    upload("roster", [{"kam": "王五", "start_date": "2026-12-01", "end_date": "2027-06-30"}])
    assert compute().as_of == dt.date(2026, 11, 3)


@pytest.mark.parametrize(
    ("as_of", "weeks"),
    [
        (dt.date(2026, 11, 8), [("2026-W45", False)]),  # Sunday: W45 is over
        (dt.date(2026, 11, 7), [("2026-W45", True)]),  # Saturday: W45 in progress
        (dt.date(2026, 11, 9), [("2026-W45", False), ("2026-W46", True)]),
        (dt.date(2026, 11, 15), [("2026-W45", False), ("2026-W46", False)]),
    ],
)
def test_weeks_whose_last_day_is_on_or_before_as_of_are_assessed(upload, compute, as_of, weeks):
    upload("leads", [lead("张三", 1, at(MON))])
    assert project(compute(as_of=as_of).weekly, "张三", "week", "in_progress") == weeks


def test_the_in_progress_week_shows_counts_and_shortfalls_with_no_fine_and_carries_the_streak(
    upload, compute
):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": MON.isoformat()}])
    upload(
        "leads", [lead("李四", 1, at(MON))] + [lead("张三", 10 + i, at(monday(2), 9 + i)) for i in range(3)]
    )
    results = compute(
        as_of=monday(2) + dt.timedelta(days=2), targets={"units": 0, "batches": 0, "numbers": 2}
    )
    assert rows(results.weekly, "张三") == [
        weekly_row("张三", "一组", "2026-W45", monday(0), (0, 0, 0), (0, 0, 2), "2.00", False, 1, ""),
        weekly_row("张三", "一组", "2026-W46", monday(1), (0, 0, 0), (0, 0, 2), "2.00", False, 2, "warning"),
        weekly_row(
            "张三", "一组", "2026-W47", monday(2), (0, 0, 3), (0, 0, 0), "0.00", True, 2, "warning", True
        ),
    ]
    summary = results.summary.set_index("kam").loc["张三"]
    assert (summary["weeks_assessed"], summary["weeks_met"], summary["fines_total"]) == (2, 0, Decimal(4))
    assert results.in_progress_week == monday(2)


def test_an_in_progress_week_with_shortfalls_still_has_no_fine(upload, compute):
    upload("leads", [lead("张三", 1, at(MON))])
    results = compute(as_of=MON + dt.timedelta(days=3))
    assert rows(results.weekly) == [
        weekly_row("张三", "", "2026-W45", MON, (0, 0, 1), (3, 16, 99), "0.00", False, 0, "", True)
    ]


@pytest.mark.parametrize(
    ("kam", "roster", "weeks"),
    [
        ("李四", None, [("2026-W45", False), ("2026-W46", False), ("2026-W47", False), ("2026-W48", True)]),
        ("张三", {"start_date": "2026-11-23"}, [("2026-W48", True)]),
        ("王五", {"start_date": "2026-11-25"}, []),
        ("赵六", {"end_date": "2026-11-27"}, [("2026-W45", False), ("2026-W46", False), ("2026-W47", False)]),
        (
            "钱七",
            {"end_date": "2026-11-29"},
            [("2026-W45", False), ("2026-W46", False), ("2026-W47", False), ("2026-W48", True)],
        ),
    ],
)
def test_the_in_progress_week_is_shown_for_each_kam_whose_range_would_include_it(
    upload, compute, kam, roster, weeks
):
    upload("leads", [lead("李四", i, at(monday(i))) for i in range(4)])
    if roster is not None:
        row = {"kam": kam, "start_date": None, "end_date": None, **roster}
        if "start_date" not in roster:
            row["start_date"] = MON.isoformat()
        upload("roster", [row])
    results = compute(as_of=dt.date(2026, 11, 25))
    assert project(results.weekly, kam, "week", "in_progress") == weeks


def test_weeks_after_as_of_are_not_shown(upload, compute):
    upload(
        "leads",
        [lead("张三", 1, at(monday(0))), lead("张三", 2, at(monday(2))), lead("张三", 3, at(monday(3)))],
    )
    results = compute(as_of=monday(1) + dt.timedelta(days=1))
    assert project(results.weekly, "张三", "week", "in_progress") == [("2026-W45", False), ("2026-W46", True)]


# --- who is assessed, and from when to when ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("units", unit("张三", MON, "甲公司")),
        ("leads", lead("张三", 1, at(MON))),
        ("visits", visit("张三", 1, at(MON))),
    ],
)
def test_anyone_named_on_a_unit_lead_or_visit_is_assessed_with_an_empty_team_when_not_on_the_roster(
    upload, compute, kind, row
):
    upload("roster", [{"kam": "李四", "team": "一组", "start_date": MON.isoformat()}])
    upload(kind, [row])
    results = compute(as_of=MON + dt.timedelta(days=6))
    assert project(results.summary.sort_values("kam"), "张三", "kam", "team", "weeks_assessed") == [
        ("张三", "", 1)
    ]
    assert project(results.weekly, "李四", "team", "week") == [("一组", "2026-W45")]
    assert project(results.weekly, "张三", "team", "week") == [("", "2026-W45")]


@pytest.mark.parametrize(
    ("start_date", "first_week"),
    [
        ("2026-11-09", "2026-W46"),  # a Monday: that week
        ("2026-11-11", "2026-W47"),  # a Wednesday: the next Monday
        ("2026-11-15", "2026-W47"),  # a Sunday: the next day
        ("2026-10-01", "2026-W45"),  # before the data begins: the first week holding any activity
        ("2026-11-30", None),  # after as_of: not assessed
    ],
)
def test_a_roster_kam_is_assessed_from_the_first_week_starting_on_or_after_start_date(
    upload, compute, start_date, first_week
):
    upload("leads", [lead("李四", i, at(monday(i))) for i in range(4)])
    upload("roster", [{"kam": "张三", "start_date": start_date}])
    weeks = project(compute(as_of=monday(4) - dt.timedelta(days=1)).weekly, "张三", "week")
    assert (weeks[0][0] if weeks else None) == first_week
    assert weeks[-1:] == ([("2026-W48",)] if first_week else [])


def test_start_date_wins_over_earlier_activity(upload, compute):
    upload("leads", [lead("张三", 1, at(monday(0))), lead("李四", 2, at(monday(3)))])
    upload("roster", [{"kam": "张三", "start_date": monday(2).isoformat()}])
    weeks = project(compute(as_of=monday(4) - dt.timedelta(days=1)).weekly, "张三", "week")
    assert weeks == [("2026-W47",), ("2026-W48",)]


@pytest.mark.parametrize("on_roster", [False, True], ids=["not_on_roster", "on_roster_without_start_date"])
def test_without_start_date_a_kam_is_assessed_from_the_week_of_their_first_activity(
    upload, compute, on_roster
):
    upload("leads", [lead("李四", i, at(monday(i))) for i in range(4)])
    if on_roster:
        upload("roster", [{"kam": "张三", "team": "一组"}])
    upload("units", [unit("张三", monday(2) + dt.timedelta(days=3), "甲公司")])  # Thursday of W47
    weeks = project(compute(as_of=monday(4) - dt.timedelta(days=1)).weekly, "张三", "week")
    assert weeks == [("2026-W47",), ("2026-W48",)]


@pytest.mark.parametrize(
    ("end_date", "last_week"),
    [
        ("2026-11-22", "2026-W47"),  # a Sunday: that week is the last
        ("2026-11-21", "2026-W46"),  # a Saturday: that week is not complete
        ("2026-11-16", "2026-W46"),  # a Monday
        ("2027-03-01", "2026-W48"),  # after as_of: the last week on or before as_of
    ],
)
def test_a_roster_kam_is_assessed_to_the_last_week_ending_on_or_before_end_date(
    upload, compute, end_date, last_week
):
    upload("leads", [lead("李四", i, at(monday(i))) for i in range(4)])
    upload("roster", [{"kam": "张三", "start_date": MON.isoformat(), "end_date": end_date}])
    weeks = project(compute(as_of=monday(4) - dt.timedelta(days=1)).weekly, "张三", "week")
    assert weeks[0] == ("2026-W45",)
    assert weeks[-1] == (last_week,)


def test_a_roster_kam_without_start_date_and_activity_is_not_assessed_but_listed_with_zeros(upload, compute):
    upload("leads", [lead("李四", 1, at(MON))])
    upload("roster", [{"kam": "王五", "team": "二组"}])
    results = compute(as_of=MON + dt.timedelta(days=6))
    assert project(results.weekly, "王五", "week") == []
    summary = results.summary[results.summary["kam"] == "王五"].to_dict("records")
    assert summary == [
        {
            "kam": "王五",
            "team": "二组",
            "weeks_assessed": 0,
            "weeks_met": 0,
            "fines_total": Decimal(0),
            "commission_total": Decimal(0),
            "clawback_total": Decimal(0),
            "adjustments_total": Decimal(0),
            "net_total": Decimal(0),
            "missed_streak": 0,
            "flag": "",
        }
    ]


# --- excused weeks -------------------------------------------------------------------------------


@pytest.mark.parametrize("excused", ["2026-11-11", "2026-11-09", "2026-11-15", "2026-W46"])
def test_an_excused_missed_week_has_no_row_for_anyone_and_does_not_extend_a_streak(upload, compute, excused):
    upload("roster", [{"kam": "张三", "start_date": MON.isoformat()}])
    upload(
        "leads",
        [lead("李四", 1, at(monday(0))), lead("李四", 2, at(monday(1))), lead("李四", 3, at(monday(2)))],
    )
    results = compute(as_of=monday(3) - dt.timedelta(days=1), excused_weeks=[excused], **ONE_LEAD_MEETS)
    assert project(results.weekly, "张三", "week", "missed_streak", "flag") == [
        ("2026-W45", 1, ""),
        ("2026-W47", 2, "warning"),
    ]
    assert "2026-W46" not in set(results.weekly["week"])
    assert results.summary.set_index("kam").loc["张三", "weeks_assessed"] == 2


@pytest.mark.parametrize("excused", ["2026-11-12", "2026-W46"])
def test_an_excused_met_week_does_not_reset_a_streak(upload, compute, excused):
    upload("roster", [{"kam": "张三", "start_date": MON.isoformat()}])
    upload("leads", [lead("李四", 1, at(monday(0))), lead("张三", 2, at(monday(1)))])
    results = compute(as_of=monday(3) - dt.timedelta(days=1), excused_weeks=[excused], **ONE_LEAD_MEETS)
    assert project(results.weekly, "张三", "week", "met", "missed_streak") == [
        ("2026-W45", False, 1),
        ("2026-W47", False, 2),
    ]


def test_an_excused_week_is_not_fined(upload, compute):
    upload("roster", [{"kam": "张三", "start_date": MON.isoformat()}])
    upload("leads", [lead("李四", 1, at(MON))])
    results = compute(as_of=monday(2) - dt.timedelta(days=1), excused_weeks=["2026-W45"])
    assert project(results.weekly, "张三", "week", "fine") == [("2026-W46", Decimal(560))]
    assert results.summary.set_index("kam").loc["张三", "fines_total"] == Decimal(560)


# --- week names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week_start", "day", "week", "first_day"),
    [
        ("monday", "2026-11-04", "2026-W45", dt.date(2026, 11, 2)),
        ("monday", "2026-12-31", "2026-W53", dt.date(2026, 12, 28)),
        ("monday", "2027-01-04", "2027-W01", dt.date(2027, 1, 4)),
        ("monday", "2026-01-01", "2026-W01", dt.date(2025, 12, 29)),
        ("tuesday", "2026-11-03", "2026-11-03", dt.date(2026, 11, 3)),
        ("wednesday", "2026-11-02", "2026-10-28", dt.date(2026, 10, 28)),
        ("saturday", "2026-11-06", "2026-10-31", dt.date(2026, 10, 31)),
        ("sunday", "2026-11-04", "2026-11-01", dt.date(2026, 11, 1)),
    ],
)
def test_week_is_the_iso_name_for_monday_weeks_and_the_first_days_date_otherwise(
    upload, compute, week_start, day, week, first_day
):
    upload("leads", [lead("张三", 1, f"{day} 10:00")])
    results = compute(as_of=first_day + dt.timedelta(days=6), week_start=week_start)
    assert project(results.weekly, "张三", "week", "week_start", "in_progress") == [(week, first_day, False)]


@pytest.mark.parametrize(
    ("week_start", "when", "week"),
    [
        ("monday", "2026-11-08 23:59:59", "2026-W45"),
        ("monday", "2026-11-09 00:00", "2026-W46"),
        ("monday", "2026-11-08", "2026-W45"),
        ("sunday", "2026-11-07 23:59", "2026-11-01"),
        ("sunday", "2026-11-08 00:00:01", "2026-11-08"),
    ],
)
def test_a_row_counts_in_the_week_holding_its_timestamp(upload, compute, week_start, when, week):
    upload("leads", [lead("张三", 1, when)])
    results = compute(as_of=dt.date(2026, 11, 20), week_start=week_start)
    assert project(results.weekly[results.weekly["numbers"] > 0], "张三", "week", "numbers") == [(week, 1)]


def test_a_kams_name_is_matched_after_normalisation(upload, compute):
    upload("roster", [{"kam": "王伟", "team": "一组"}])
    upload("leads", [lead("王 伟", 1, at(MON)), lead("王伟 ", 2, at(MON, 11))])
    results = compute(as_of=MON + dt.timedelta(days=6))
    assert project(results.weekly, "王伟", "team", "week", "numbers") == [("一组", "2026-W45", 2)]
    assert list(results.summary["kam"]) == ["王伟"]
