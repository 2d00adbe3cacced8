"""我的 (a KAM's own page): this week against each quota with the pace to the week's end, the last weeks'
verdicts, my customers with status and reason, and my statement by month — only the KAM's own rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal

import pandas as pd

from kam_metrics.access.roles import Viewer, require_page
from kam_metrics.access.scope import own_phones, phone_shown, scope
from kam_metrics.engine.assessment import QUOTAS
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.common import week_label
from kam_metrics.present.dispute_rows import reasons_of, status_with_mark
from kam_metrics.present.format import money, shown, stamp, word
from kam_metrics.present.index import memo_view
from kam_metrics.present.why import first_registrations, lead_why, visit_why

LAST_WEEKS = 8  # verdicts shown (newest first)
PACE = ["quota", "count", "target", "missing", "days_left", "per_day", "fine_if_none"]
WEEKS = ["week", "units", "batches", "numbers", "met", "fine", "missed_streak", "flag"]
CUSTOMERS = ["phone", "customer_name", "reported_at", "status", "why", "visits", "visit_status", "visit_why"]
STATEMENT = ["month", "commission", "clawback", "fines", "adjustments", "net", "closed"]


@dataclasses.dataclass(frozen=True)
class MineView:
    """The KAM's own page. ``week`` is the week paced (the in-progress one by default), ``pace`` one row per
    quota (count, target, missing, days left, needed per day, the fine if nothing more comes), ``fine_if_none``
    their sum as money; ``weeks`` the last assessed weeks, ``customers`` one row per own lead, ``statement``
    by month."""

    kam: str
    team: str
    week: str | None
    week_label: str
    in_progress: bool
    days_left: int
    pace: pd.DataFrame
    fine_if_none: str
    weeks: pd.DataFrame
    customers: pd.DataFrame
    statement: pd.DataFrame


def _week_row(results: Results, kam: str, week: str | None) -> pd.Series | None:
    rows = results.weekly[results.weekly["kam"] == kam].sort_values("week_start")
    if rows.empty:
        return None
    if week is not None and (rows["week"] == week).any():
        return rows[rows["week"] == week].iloc[0]
    return rows.iloc[-1]  # the in-progress week when there is one (it is the last shown), else the last week


def days_left(week_start: dt.date, as_of: dt.date | None) -> int:
    """Days of the week after as_of (0 when the week is over; 7 before it starts)."""
    end = week_start + dt.timedelta(days=7)
    if as_of is None:
        return 0
    return max(0, min(7, (end - (as_of + dt.timedelta(days=1))).days))


def pace(results: Results, row: pd.Series, lang: str) -> tuple[pd.DataFrame, Decimal, int]:
    """Per quota: count so far, the target of the rule version in force on the week's first day (SPEC §6),
    what is missing, how many a day that needs over the days left, and the fine if nothing more comes."""
    version = results.rule_versions.in_force(row["week_start"])
    left = days_left(row["week_start"], results.as_of) if bool(row["in_progress"]) else 0
    rows, total = [], Decimal("0.00")
    for q in QUOTAS:
        target = int(getattr(version.targets, q))
        count = int(row[q])
        missing = max(0, target - count)
        fine = Decimal(str(getattr(version.fines, q))) * missing
        total += fine
        rows.append(
            {
                "quota": t(f"ui.col.{q}", lang),
                "count": count,
                "target": target,
                "missing": missing,
                "days_left": left,
                "per_day": math.ceil(missing / left) if left and missing else 0,
                "fine_if_none": money(fine),
            }
        )
    return shown(rows, PACE, lang), total, left


def last_weeks(results: Results, kam: str, lang: str) -> pd.DataFrame:
    """The KAM's last assessed weeks, newest first: counts, met or fined, the fine, streak and flag."""
    rows = results.weekly[(results.weekly["kam"] == kam) & ~results.weekly["in_progress"].astype(bool)]
    rows = rows.sort_values("week_start", ascending=False).head(LAST_WEEKS)
    out = [
        {
            "week": r.week,
            "units": int(r.units),
            "batches": int(r.batches),
            "numbers": int(r.numbers),
            "met": t("scope.mine.met" if r.met else "scope.mine.fined", lang),
            "fine": money(r.fine),
            "missed_streak": int(r.missed_streak),
            "flag": word("flag", r.flag, lang),
        }
        for r in rows.itertuples(index=False)
    ]
    return shown(out, WEEKS, lang)


def customers(results: Results, viewer: Viewer, lang: str) -> pd.DataFrame:
    """One row per own lead (newest first): the phone (in full: the KAM's own lead), the name, the lead's
    status and reason, how many of the KAM's visits of that phone are valid of how many, the last visit's
    status and reason."""
    own = own_phones(results, viewer)
    first_reg = first_registrations(results)
    reasons = reasons_of(results)
    visits = results.visits.sort_values("visited_at")
    by_phone: dict[str, list] = {}
    for r in visits.itertuples(index=False):
        by_phone.setdefault(r.phone, []).append(r)
    rows = []
    for r in results.leads.sort_values("reported_at", ascending=False).itertuples(index=False):
        seen = by_phone.get(r.phone, [])
        last = seen[-1] if seen else None
        rows.append(
            {
                "phone": phone_shown(viewer, r.phone, r.phone in own, download=False),
                "customer_name": r.customer_name,
                "reported_at": stamp(r.reported_at, r.reported_at_date_only),
                "status": status_with_mark(word("status", r.status, lang), r.adjudication, reasons, lang),
                "why": lead_why(r.status, r.claim_kam, first_reg.get(r.phone), lang),
                "visits": f"{sum(1 for v in seen if v.status == 'valid')}/{len(seen)}",
                "visit_status": status_with_mark(
                    word("status", last.status, lang), last.adjudication, reasons, lang
                )
                if last is not None
                else "",
                "visit_why": visit_why(last.status, last.claim_kam, last.salesperson, lang) if last else "",
            }
        )
    return shown(rows, CUSTOMERS, lang)


def statement(results: Results, kam: str, lang: str) -> pd.DataFrame:
    """The KAM's statement by month, oldest first, money as words, closed months marked."""
    rows = results.statement[results.statement["kam"] == kam].sort_values("month")
    out = [
        {
            "month": r.month,
            **{c: money(getattr(r, c)) for c in ("commission", "clawback", "fines", "adjustments", "net")},
            "closed": t("ui.yes" if r.closed else "ui.no", lang),
        }
        for r in rows.itertuples(index=False)
    ]
    return shown(out, STATEMENT, lang)


def view(results: Results, viewer: Viewer, lang: str, week: str | None = None) -> MineView:
    """我的 for a KAM viewer (roles.Refused for any other role: the page is theirs alone)."""
    require_page(viewer, "mine")
    results = scope(results, viewer)
    # the viewer's own scoped Results: the page is built once per week asked for, then looked up
    return memo_view(results, ("mine.view", viewer, lang, week), lambda: _view(results, viewer, lang, week))


def _view(results: Results, viewer: Viewer, lang: str, week: str | None) -> MineView:
    kam = viewer.kam or ""
    teams = results.kams["team"]
    team = str(teams.iloc[0]) if len(teams) else ""
    row = _week_row(results, kam, week)
    if row is None:
        empty = shown([], PACE, lang)
        return MineView(
            kam, team, None, "", False, 0, empty, money(Decimal("0.00")), last_weeks(results, kam, lang),
            customers(results, viewer, lang), statement(results, kam, lang),
        )  # fmt: skip
    frame, total, left = pace(results, row, lang)
    return MineView(
        kam=kam,
        team=team,
        week=str(row["week"]),
        week_label=week_label(results, str(row["week"]), lang),
        in_progress=bool(row["in_progress"]),
        days_left=left,
        pace=frame,
        fine_if_none=money(total),
        weeks=last_weeks(results, kam, lang),
        customers=customers(results, viewer, lang),
        statement=statement(results, kam, lang),
    )
