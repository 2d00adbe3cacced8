"""The overview page's view: who missed the week (with fines, streaks and the week before), team figures,
the lead-to-deal funnel, the quota trend and the flagged KAMs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pandas as pd

from kam_metrics.access.roles import Viewer, require_page
from kam_metrics.access.scope import scope
from kam_metrics.engine.assessment import QUOTAS
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.common import chosen, flagged, flagged_rows, week_labels, weeks
from kam_metrics.present.format import day, money, shown
from kam_metrics.present.index import memo_view


def kpis(results: Results, week: str) -> dict:
    """Team figures of one week: per quota the count against the summed target, fines, commission of the
    month the week ends in, and the KAMs flagged that week.

    Returns {week, week_start, in_progress, kams, quotas: [{quota, count, target, rate}], fines, month,
    commission, net, flagged, warning, dismissal_review}, and fines_text, commission_text as money.
    """
    rows = results.weekly[results.weekly["week"] == week]
    if rows.empty:
        raise KeyError(week)
    start = rows["week_start"].iloc[0]
    month = f"{start + dt.timedelta(days=6):%Y-%m}"
    quotas = []
    for q in QUOTAS:
        count = int(rows[q].sum())
        target = int(getattr(results.rules.targets, q)) * len(rows)
        quotas.append(
            {"quota": q, "count": count, "target": target, "rate": count / target if target else 1.0}
        )
    months = results.statement[results.statement["month"] == month]
    flags = [r["flag"] for r in flagged_rows(results, week)]
    fines = sum(rows["fine"], Decimal("0.00"))
    commission = sum(months["commission"], Decimal("0.00"))
    return {
        "week": week,
        "week_start": start,
        "in_progress": bool(rows["in_progress"].iloc[0]),
        "kams": len(rows),
        "met": int(rows["met"].sum()),
        "quotas": quotas,
        "fines": fines,
        "fines_text": money(fines),
        "month": month,
        "commission": commission,
        "commission_text": money(commission),
        "net": sum(months["net"], Decimal("0.00")),
        "flagged": len(flags),
        "left": sum(1 for r in flagged_rows(results, week) if r["left"]),
        "warning": flags.count("warning"),
        "dismissal_review": flags.count("dismissal_review"),
    }


def _until(results: Results, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    if results.as_of is None or frame.empty:
        return frame
    return frame[frame[column] < pd.Timestamp(results.as_of + dt.timedelta(days=1))]


def funnel(results: Results, lang: str) -> pd.DataFrame:
    """Leads → valid leads → valid visits → attributed deals, over every row dated up to as_of."""
    leads = _until(results, results.leads, "reported_at")
    visits = _until(results, results.visits, "visited_at")
    deals = _until(results, results.commissions, "signed_at")
    deals = deals[(deals["line"] == "commission") & (deals["type"] != "unattributed")]
    counts = {
        "leads": len(leads),
        "valid_leads": int((leads["status"] == "valid").sum()),
        "valid_visits": int((visits["status"] == "valid").sum()),
        "deals": len(deals),
    }
    return pd.DataFrame(
        {"stage": [t(f"ui.funnel.{k}", lang) for k in counts], "count": list(counts.values())}
    )


def last_complete(results: Results) -> str | None:
    """The last assessed (complete) week, else the in-progress one when nothing is assessed yet."""
    frame = results.weekly
    if frame.empty:
        return None
    done = frame[~frame["in_progress"].astype(bool)]
    pick = done if not done.empty else frame
    return str(pick.sort_values("week_start")["week"].iloc[-1])


def current(results: Results) -> str | None:
    """The in-progress week, if the as-of date falls inside one."""
    frame = results.weekly[results.weekly["in_progress"].astype(bool)]
    return None if frame.empty else str(frame["week"].iloc[0])


def _change(fine: Decimal, short: int, before: dict | None) -> str:
    """better / worse / same against the KAM's week before (by fine, then by total shortfall); new without one."""
    if before is None:
        return "new"
    key, was = (fine, short), (before["fine"], before["short"])
    return "same" if key == was else "better" if key < was else "worse"


def missed(results: Results, week: str, lang: str) -> pd.DataFrame:
    """Who missed ``week``: per KAM the shortfall per quota, the fine, the streak, and the change against
    the week before (its fine and better / worse / same / new). Empty for the in-progress week (no verdict yet)."""
    weekly = results.weekly
    rows = weekly[
        (weekly["week"] == week) & ~weekly["in_progress"].astype(bool) & ~weekly["met"].astype(bool)
    ]
    if rows.empty:
        return shown([], MISSED, lang)
    start = rows["week_start"].iloc[0]
    before_rows = weekly[(weekly["week_start"] == start - dt.timedelta(days=7)) & ~weekly["in_progress"]]
    before = {
        r.kam: {"fine": r.fine, "short": r.units_short + r.batches_short + r.numbers_short}
        for r in before_rows.itertuples(index=False)
    }
    out = []
    for r in rows.sort_values(["fine", "kam"], ascending=[False, True]).itertuples(index=False):
        short = r.units_short + r.batches_short + r.numbers_short
        change = _change(r.fine, short, before.get(r.kam))
        out.append(
            {
                "kam": r.kam,
                "team": r.team,
                "units_short": int(r.units_short),
                "batches_short": int(r.batches_short),
                "numbers_short": int(r.numbers_short),
                "fine": money(r.fine),
                "missed_streak": int(r.missed_streak),
                "fine_before": money(before[r.kam]["fine"]) if r.kam in before else "",
                "change": t(f"ui.overview.change.{change}", lang),
            }
        )
    return shown(out, MISSED, lang)


MISSED = [
    "kam",
    "team",
    "units_short",
    "batches_short",
    "numbers_short",
    "fine",
    "missed_streak",
    "fine_before",
    "change",
]


def short_week(week: str) -> str:
    """An axis label: ``2026-W37`` → ``W37``, ``2026-11-24`` → ``11-24``."""
    return week[5:] if len(week) > 5 else week


def trend(results: Results, lang: str) -> pd.DataFrame:
    """Per assessed week and quota the team's count and the summed target: columns week, label (short week
    name), quota, series, value. The in-progress week is left out: its part-week counts would draw as a
    steep drop (the page says it is left out)."""
    assessed = results.weekly[~results.weekly["in_progress"].astype(bool)] if len(results.weekly) else None
    if assessed is None or assessed.empty:
        return pd.DataFrame(columns=["week", "label", "quota", "series", "value"])
    rows = []
    for (week, _start), group in assessed.groupby(["week", "week_start"], sort=False):
        for q in QUOTAS:
            label = t(f"ui.col.{q}", lang)
            target = int(getattr(results.rules.targets, q)) * len(group)
            common = {"week": week, "label": short_week(week), "quota": label}
            rows.append({**common, "series": t("ui.series.count", lang), "value": int(group[q].sum())})
            rows.append({**common, "series": t("ui.series.target", lang), "value": target})
    frame = pd.DataFrame(rows)
    order = {w: i for i, w in enumerate(weeks(results))}
    return frame.sort_values("week", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class OverviewView:
    """The overview page: the week pick list, the chosen week's figures, funnel, trend and flagged KAMs.

    ``kpi`` is None (and the frames empty) when no week is assessed yet."""

    weeks: list[str]
    week_labels: dict[str, str]
    week: str | None
    current: str | None  # the in-progress week (one click away), None when the as-of date ends a week
    kpi: dict | None
    missed: pd.DataFrame
    as_of: str  # the as-of date the funnel counts up to
    funnel: pd.DataFrame
    trend: pd.DataFrame
    flagged: pd.DataFrame


def view(results: Results, viewer: Viewer, lang: str, week: str | None = None) -> OverviewView:
    """The overview of ``week`` (default, or when it is not shown: the last complete week), of the KAMs
    ``viewer`` may see."""
    require_page(viewer, "overview")
    results = scope(results, viewer)
    # the same week of the same (scoped) Results shows the same page: built once, then looked up
    return memo_view(results, ("overview.view", viewer, lang, week), lambda: _view(results, lang, week))


def _view(results: Results, lang: str, week: str | None) -> OverviewView:
    shown_weeks = weeks(results)
    week = chosen(week, shown_weeks, last_complete(results))
    if week is None:
        empty = pd.DataFrame()
        return OverviewView([], {}, None, None, None, empty, day(results.as_of), empty, empty, empty)
    return OverviewView(
        weeks=shown_weeks,
        week_labels=week_labels(results, lang),
        week=week,
        current=current(results),
        kpi=kpis(results, week),
        missed=missed(results, week, lang),
        as_of=day(results.as_of),
        funnel=funnel(results, lang),
        trend=trend(results, lang),
        flagged=flagged(results, lang, week),
    )
