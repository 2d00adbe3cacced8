"""Weekly assessment (考核, SPEC §4): who is assessed when, counts against targets, fines, streaks and flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from kam_metrics import sql
from kam_metrics.contract.results import RESULT_COLUMNS
from kam_metrics.contract.rules import Rules, RuleSet, as_ruleset
from kam_metrics.engine.frames import column_rows

QUOTAS = ("units", "batches", "numbers")
WEEKLY_COLUMNS = list(RESULT_COLUMNS["weekly"])


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
    return sql.run(cur, "fct_default_as_of").fetchall()[0][0]


def in_progress_week(as_of: dt.date | None, rules: Rules) -> dt.date | None:
    """The first day of the week holding as_of when that week is not over on as_of (SPEC §4), else None."""
    if as_of is None:
        return None
    week = week_of(as_of, rules)
    return None if as_of == week + dt.timedelta(days=6) else week


def flag_for(streak: int, rules: Rules) -> str:
    if streak >= rules.review_after_weeks:
        return "dismissal_review"
    if streak >= rules.warn_after_weeks:
        return "warning"
    return ""


def kam_roster(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every KAM: the roster plus anyone named on a unit, lead or visit; with team, dates and first activity."""
    return sql.run(cur, "fct_kam_roster").to_arrow_table().to_pandas()


def assess(
    cur: duckdb.DuckDBPyConnection,
    attribution,
    rules: Rules | RuleSet,
    as_of: dt.date | None,
    kams: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per KAM and assessed week (plus the in-progress week), in WEEKLY_COLUMNS order.

    Each week is assessed (targets, fines, warn/review thresholds) with the rule version in force on its first
    day; missed_streak counts across versions (SPEC §6). ``kams`` is kam_roster(cur) when the caller has it."""
    ruleset = as_ruleset(rules)
    rules = ruleset.base  # week_start and excused_weeks are not versionable
    if kams is None:
        kams = kam_roster(cur)
    if as_of is None:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    counts = _counts(attribution, rules)
    first_day = sql.run(cur, "int_data_start").fetchall()[0][0]
    if first_day is None:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    data_start = week_of(first_day, rules)
    excused = {week_of(d, rules) for d in rules.excused_dates()}
    in_progress = in_progress_week(as_of, rules)
    as_of_week = week_of(as_of, rules)
    last_full = as_of_week if in_progress is None else as_of_week - dt.timedelta(days=7)
    week = dt.timedelta(days=7)
    six = dt.timedelta(days=6)
    # per rule version: (rules, targets, fine rates, fine by shortfall); per week: (name, its version's entry)
    by_version: dict[int, tuple[Rules, tuple, tuple, dict]] = {}
    weeks: dict[dt.date, tuple[str, tuple[Rules, tuple, tuple, dict]]] = {}
    zero_fine = Decimal(0).quantize(Decimal("0.01"))
    columns: dict[str, list] = {c: [] for c in WEEKLY_COLUMNS}
    append = [columns[c].append for c in WEEKLY_COLUMNS]

    def week_entry(start: dt.date) -> tuple[str, tuple[Rules, tuple, tuple, dict]]:
        version = ruleset.in_force(start)
        entry = by_version.get(id(version))
        if entry is None:
            targets = tuple(getattr(version.targets, q) for q in QUOTAS)
            fine_rates = tuple(getattr(version.fines, q) for q in QUOTAS)
            entry = by_version[id(version)] = (version, targets, fine_rates, {})
        weeks[start] = (week_name(start, rules), entry)
        return weeks[start]

    def add(
        kam: str, team: str, start: dt.date, before: tuple[int, str], is_in_progress: bool
    ) -> tuple[int, str]:
        """Append one weekly row; returns its streak and flag (the in-progress week carries ``before`` over)."""
        name, (version, targets, fine_rates, fine_of) = weeks.get(start) or week_entry(start)
        got = counts.get((kam, start), (0, 0, 0))
        short = (max(0, targets[0] - got[0]), max(0, targets[1] - got[1]), max(0, targets[2] - got[2]))
        met = short == (0, 0, 0)
        if is_in_progress:
            fine = zero_fine
            streak, flag = before
        else:
            fine = fine_of.get(short)
            if fine is None:
                total = Decimal(0)
                for n, rate in zip(short, fine_rates, strict=True):
                    total += n * rate
                fine = fine_of[short] = total.quantize(Decimal("0.01"))
            streak = 0 if met else before[0] + 1
            flag = flag_for(streak, version)
        for put, value in zip(
            append,
            (kam, team, name, start, *got, *short, fine, met, streak, flag, is_in_progress),
            strict=True,
        ):
            put(value)
        return streak, flag

    for kam, team, start_value, end_value, activity in column_rows(
        kams, "kam", "team", "start_date", "end_date", "first_activity"
    ):
        start_date = _date(start_value)
        end_date = _date(end_value)
        first_activity = _date(activity)
        if start_date is not None:
            first = week_of(start_date, rules)
            if first < start_date:
                first += week
        elif first_activity is not None:
            first = week_of(first_activity, rules)
        else:
            continue
        first = max(first, data_start)
        last = last_full
        if end_date is not None:
            last_by_end = week_of(end_date, rules)
            if last_by_end + six > end_date:
                last_by_end -= week
            last = min(last, last_by_end)
        streak, flag = 0, ""
        start = first
        while start <= last:
            if start not in excused:
                streak, flag = add(kam, team, start, (streak, flag), False)
            start += week
        if (
            in_progress is not None
            and first <= in_progress
            and in_progress not in excused
            and (end_date is None or in_progress + six <= end_date)
        ):
            add(kam, team, in_progress, (streak, flag), True)
    if not columns["kam"]:
        return pd.DataFrame([], columns=WEEKLY_COLUMNS)
    return pd.DataFrame(columns, columns=WEEKLY_COLUMNS)


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _counts(attribution, rules: Rules) -> dict[tuple[str, dt.date], tuple[int, int, int]]:
    """(kam, week start) → numbers of valid (units, batches, numbers); vectorised (a million leads)."""
    out: dict[tuple[str, dt.date], list[int]] = {}
    epoch = dt.date(1970, 1, 1)
    # 1970-01-01 was a Thursday (weekday 3): a day's week starts (days + shift) mod 7 days before it.
    shift = (3 - rules.week_start_index) % 7
    for i, (frame, column) in enumerate(
        ((attribution.units, "date"), (attribution.visits, "visited_at"), (attribution.leads, "reported_at"))
    ):
        if frame.empty:
            continue
        valid = (frame["status"] == "valid").to_numpy(dtype=bool)
        if not valid.any():
            continue
        days = pd.to_datetime(frame[column]).to_numpy()[valid].astype("datetime64[D]").astype(np.int64)
        weeks = days - (days + shift) % 7
        kams = pa.array(frame["kam"]).filter(pa.array(valid))
        grouped = (
            pa.table({"kam": kams, "week": pa.array(weeks)})
            .group_by(["kam", "week"], use_threads=False)
            .aggregate([("kam", "count")])
        )
        for kam, week_day, n in zip(
            grouped["kam"].to_pylist(),
            grouped["week"].to_pylist(),
            grouped["kam_count"].to_pylist(),
            strict=True,
        ):
            out.setdefault((kam, epoch + dt.timedelta(days=week_day)), [0, 0, 0])[i] = n
    return {key: tuple(v) for key, v in out.items()}
