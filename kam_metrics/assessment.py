"""Weekly assessment (考核, SPEC §4): who is assessed when, counts against targets, fines, streaks and flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd

from kam_metrics.rules import Rules

QUOTAS = ("units", "batches", "numbers")
WEEKLY_COLUMNS = [
    "kam",
    "team",
    "week",
    "week_start",
    "units",
    "batches",
    "numbers",
    "units_short",
    "batches_short",
    "numbers_short",
    "fine",
    "met",
    "missed_streak",
    "flag",
    "in_progress",
]


def week_of(day: dt.date, rules: Rules) -> dt.date:
    """The first day of the week holding ``day``."""
    return day - dt.timedelta(days=(day.weekday() - rules.week_start_index) % 7)


def week_name(start: dt.date, rules: Rules) -> str:
    """ISO week name (2026-W48) when weeks start on Monday, else the first day's date."""
    if rules.week_start_index == 0:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


def default_as_of(cur: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest date among registrations, units, leads, visits, deals' signed_at and cancelled_at."""
    row = cur.sql(
        """
        select max(d) from (
          select max(registered_at)::date as d from registrations
          union all select max(date)::date from units
          union all select max(reported_at)::date from leads
          union all select max(visited_at)::date from visits
          union all select max(signed_at)::date from deals_current
          union all select max(cancelled_at)::date from deals_current
        )
        """
    ).fetchall()
    return row[0][0]


def flag_for(streak: int, rules: Rules) -> str:
    if streak >= rules.review_after_weeks:
        return "dismissal_review"
    if streak >= rules.warn_after_weeks:
        return "warning"
    return ""


def kam_roster(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every KAM: the roster plus anyone named on a unit, lead or visit; with team, dates and first activity."""
    return (
        cur.sql(
            """
        with active as (
          select kam, min(d) as first_activity from (
            select kam, date::date as d from units
            union all select kam, reported_at::date from leads
            union all select kam, visited_at::date from visits
          ) group by kam
        )
        select kam, coalesce(r.team, '') as team, r.start_date::date as start_date, r.end_date::date as end_date,
               a.first_activity, r.kam is not null as on_roster
        from roster_current r full join active a using (kam)
        order by team, kam
        """
        )
        .to_arrow_table()
        .to_pandas()
    )


def assess(cur: duckdb.DuckDBPyConnection, attribution, rules: Rules, as_of: dt.date | None) -> pd.DataFrame:
    """One row per KAM and assessed week (plus the in-progress week), in WEEKLY_COLUMNS order."""
    kams = kam_roster(cur)
    if as_of is None:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    counts = _counts(attribution, rules)
    first_days = [
        d
        for d in cur.sql(
            """select min(d) from (select min(date)::date as d from units
           union all select min(reported_at)::date from leads
           union all select min(visited_at)::date from visits)"""
        ).fetchall()[0]
        if d is not None
    ]
    if not first_days:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    data_start = week_of(first_days[0], rules)
    excused = {week_of(d, rules) for d in rules.excused_dates()}
    as_of_week = week_of(as_of, rules)
    last_full = (
        as_of_week if as_of == as_of_week + dt.timedelta(days=6) else as_of_week - dt.timedelta(days=7)
    )
    in_progress = None if last_full == as_of_week else as_of_week
    targets = {q: getattr(rules.targets, q) for q in QUOTAS}
    fines = {q: getattr(rules.fines, q) for q in QUOTAS}
    rows = []
    for kam in kams.itertuples(index=False):
        start_date = _date(kam.start_date)
        end_date = _date(kam.end_date)
        first_activity = _date(kam.first_activity)
        if start_date is not None:
            first = week_of(start_date, rules)
            if first < start_date:
                first += dt.timedelta(days=7)
        elif first_activity is not None:
            first = week_of(first_activity, rules)
        else:
            continue
        first = max(first, data_start)
        last = last_full
        if end_date is not None:
            last_by_end = week_of(end_date, rules)
            if last_by_end + dt.timedelta(days=6) > end_date:
                last_by_end -= dt.timedelta(days=7)
            last = min(last, last_by_end)
        streak, flag = 0, ""
        week = first
        while week <= last:
            if week not in excused:
                row = _row(kam, week, counts, targets, fines, rules, in_progress=False)
                streak = 0 if row["met"] else streak + 1
                flag = flag_for(streak, rules)
                row["missed_streak"], row["flag"] = streak, flag
                rows.append(row)
            week += dt.timedelta(days=7)
        if (
            in_progress is not None
            and first <= in_progress
            and in_progress not in excused
            and (end_date is None or in_progress + dt.timedelta(days=6) <= end_date)
        ):
            row = _row(kam, in_progress, counts, targets, fines, rules, in_progress=True)
            row["missed_streak"], row["flag"] = streak, flag
            rows.append(row)
    frame = pd.DataFrame(rows, columns=WEEKLY_COLUMNS)
    return frame


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _row(kam, week: dt.date, counts, targets, fines, rules: Rules, in_progress: bool) -> dict:
    row = {"kam": kam.kam, "team": kam.team, "week": week_name(week, rules), "week_start": week}
    fine = Decimal(0)
    for q in QUOTAS:
        count = counts.get((q, kam.kam, week), 0)
        short = max(0, targets[q] - count)
        row[q] = count
        row[f"{q}_short"] = short
        fine += short * fines[q]
    row["met"] = all(row[f"{q}_short"] == 0 for q in QUOTAS)
    row["fine"] = Decimal(0).quantize(Decimal("0.01")) if in_progress else fine.quantize(Decimal("0.01"))
    row["in_progress"] = in_progress
    return row


def _counts(attribution, rules: Rules) -> dict[tuple[str, str, dt.date], int]:
    """(quota, kam, week start) → number of valid rows."""
    out: dict[tuple[str, str, dt.date], int] = {}
    for quota, frame, column in (
        ("units", attribution.units, "date"),
        ("batches", attribution.visits, "visited_at"),
        ("numbers", attribution.leads, "reported_at"),
    ):
        valid = frame[frame["status"] == "valid"]
        if valid.empty:
            continue
        days = pd.to_datetime(valid[column]).dt.normalize()
        weeks = days - pd.to_timedelta((days.dt.day_of_week - rules.week_start_index) % 7, unit="D")
        grouped = pd.DataFrame({"kam": valid["kam"].to_numpy(), "week": weeks.to_numpy()}).value_counts()
        for (kam, week), n in grouped.items():
            out[(quota, kam, pd.Timestamp(week).date())] = int(n)
    return out
