"""Period close (SPEC §9): closed months' frozen statement rows and the adjustments landing in the open month."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from kam_metrics.contract.results import RESULT_COLUMNS
from kam_metrics.engine.frames import column_rows

ZERO = Decimal("0.00")
KINDS = ("commission", "clawback", "fine")
SIGN = {"commission": 1, "clawback": -1, "fine": -1}  # an item's effect on net per unit of its amount
STATEMENT_COLUMNS = list(RESULT_COLUMNS["statement"])
SUMMARY_COLUMNS = list(RESULT_COLUMNS["summary"])
ADJUSTMENT_COLUMNS = list(RESULT_COLUMNS["adjustments"])


def next_month(month: str) -> str:
    year, m = int(month[:4]), int(month[5:7])
    return f"{year + m // 12}-{m % 12 + 1:02d}"


def month_end(month: str) -> dt.date:
    return dt.date.fromisoformat(next_month(month) + "-01") - dt.timedelta(days=1)


def months_from(start: str, stop: str) -> list[str]:
    """The months from ``start`` up to, not including, ``stop``."""
    out = []
    while start < stop:
        out.append(start)
        start = next_month(start)
    return out


def week_first_day(ref: str) -> dt.date:
    """The first day of a fine's week from its ref: an ISO week name (weeks starting on Monday) or the date."""
    if "-W" in ref:
        year, week = ref.split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    return dt.date.fromisoformat(ref)


def deal_ref(prop: str, phone: str, signed: object) -> str:
    """A deal's item ref: its natural key (SPEC §8) as a director reads it."""
    return f"{prop} · {phone} · {pd.Timestamp(signed):%Y-%m-%d}"


@dataclass(frozen=True)
class Frozen:
    """The live closes (never reopened) and their frozen items."""

    latest: str
    closes: list[tuple[str, int]]  # (month, the newest upload id it saw), by month
    items: list[tuple]  # (close_month, kam, kind, ref, source_month, amount, is_adjustment, reason)

    @property
    def open_month(self) -> str:
        return next_month(self.latest)

    def seen(self, month: str) -> int:
        """The newest upload id the close of ``month`` saw: its own close's, or the first later one's (a month
        before every stored close was closed by the first)."""
        return next(seen for m, seen in self.closes if m >= month)


def read(cur: duckdb.DuckDBPyConnection) -> Frozen | None:
    """The live closes and items in ``cur``'s snapshot; None (one tiny query) when no month is closed."""
    closes = cur.execute(
        "select month, coalesce(last_upload_id, 0) from closes where reopened_at is null order by month"
    ).fetchall()
    if not closes:
        return None
    items = cur.execute(
        """select c.month, i.kam, i.kind, i.ref, i.source_month, i.amount, i.is_adjustment, i.reason
           from close_items i join closes c using (close_id) where c.reopened_at is null"""
    ).fetchall()
    return Frozen(latest=closes[-1][0], closes=closes, items=items)


def now_items(commissions: pd.DataFrame, weekly: pd.DataFrame, keep) -> dict[tuple, Decimal]:
    """(month, kam, kind, ref) → amount as the engine computes it now, for the months where ``keep(month)``:
    commission and clawback lines of attributed deals, and the fine of every assessed week."""
    found: dict[tuple, Decimal] = {}
    lines = commissions[commissions["kam"].notna() & (commissions["type"] != "unattributed")]
    lines = lines[lines["month"].map(keep).astype(bool)] if len(lines) else lines
    for kam, month, line, prop, phone, signed, amount in column_rows(
        lines, "kam", "month", "line", "property", "phone", "signed_date", "kam_commission"
    ):
        kind = "commission" if line == "commission" else "clawback"
        found[(month, kam, kind, deal_ref(prop, phone, signed))] = amount if kind == "commission" else -amount
    if not weekly.empty:
        assessed = weekly[~weekly["in_progress"].astype(bool)]
        for kam, week, start, fine in column_rows(assessed, "kam", "week", "week_start", "fine"):
            month = (start + dt.timedelta(days=6)).strftime("%Y-%m")
            if keep(month):
                found[(month, kam, "fine", week)] = fine
    return found


def adjustments(
    cur: duckdb.DuckDBPyConnection, frozen: Frozen, commissions: pd.DataFrame, weekly: pd.DataFrame
) -> list[dict]:
    """The open month's adjustments: for every closed month C and item frozen in C, computed now for C or
    named by a later adjustment for C, paid (frozen + later changes) against now; one adjustment per difference."""
    now = now_items(commissions, weekly, lambda m: m <= frozen.latest)
    paid: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for close_month, kam, kind, ref, source_month, amount, is_adjustment, _ in frozen.items:
        paid[(source_month if is_adjustment else close_month, kam, kind, ref)] += amount
    changed = []
    for key in sorted(set(now) | set(paid)):
        was, is_now = paid.get(key, ZERO), now.get(key, ZERO)
        if was != is_now:
            changed.append((key, was, is_now))
    if not changed:
        return []
    from kam_metrics.engine.close_reasons import Explainer  # it imports this module

    explain = Explainer(cur, frozen, commissions, weekly, changed)
    out = []
    for (source_month, kam, kind, ref), was, is_now in changed:
        change = is_now - was
        out.append(
            {
                "kam": kam,
                "month": frozen.open_month,
                "source_month": source_month,
                "kind": kind,
                "ref": ref,
                "amount": SIGN[kind] * change,
                "reason": json.dumps(explain(source_month, kam, kind, ref, was, is_now), ensure_ascii=False),
                "change": change,
                "closed": False,
            }
        )
    return out


def settle(
    cur: duckdb.DuckDBPyConnection,
    statement: pd.DataFrame,
    summary: pd.DataFrame,
    commissions: pd.DataFrame,
    weekly: pd.DataFrame,
    teams: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(statement, summary, adjustments) with the closes of ``cur``'s snapshot applied (SPEC §9): closed months
    show their frozen rows, the open month carries the adjustments, totals are the statement rows' sums.
    Without a close the computed rows stand, with adjustments 0 and closed false."""
    frozen = read(cur)
    if frozen is None:
        return (
            statement.assign(adjustments=ZERO, closed=False)[STATEMENT_COLUMNS],
            summary.assign(adjustments_total=ZERO)[SUMMARY_COLUMNS],
            pd.DataFrame(columns=ADJUSTMENT_COLUMNS),
        )
    live = adjustments(cur, frozen, commissions, weekly)
    cells: dict[tuple[str, str], dict] = {}

    def cell(kam: str, month: str, closed: bool) -> dict:
        c = cells.get((kam, month))
        if c is None:
            c = cells[(kam, month)] = {
                "commission": ZERO,
                "clawback": ZERO,
                "fines": ZERO,
                "adjustments": ZERO,
            }
            c["closed"] = closed
        return c

    later = statement[statement["month"] > frozen.latest]
    for kam, month, commission, clawback, fines in column_rows(
        later, "kam", "month", "commission", "clawback", "fines"
    ):
        c = cell(kam, month, False)
        c["commission"], c["clawback"], c["fines"] = commission, clawback, fines
    for a in live:
        cell(a["kam"], a["month"], False)["adjustments"] += a["amount"]
    frozen_adjustments = []
    column = {"commission": "commission", "clawback": "clawback", "fine": "fines"}
    for close_month, kam, kind, ref, source_month, amount, is_adjustment, reason in frozen.items:
        c = cell(kam, close_month, True)
        if is_adjustment:
            c["adjustments"] += SIGN[kind] * amount
            frozen_adjustments.append(
                {
                    "kam": kam,
                    "month": close_month,
                    "source_month": source_month,
                    "kind": kind,
                    "ref": ref,
                    "amount": SIGN[kind] * amount,
                    "reason": reason,
                    "change": amount,
                    "closed": True,
                }  # fmt: skip
            )
        else:
            c[column[kind]] += amount
    rows = [
        {
            "kam": kam,
            "team": teams.get(kam, ""),
            "month": month,
            "commission": v["commission"],
            "clawback": v["clawback"],
            "fines": v["fines"],
            "adjustments": v["adjustments"],
            "net": v["commission"] - v["clawback"] - v["fines"] + v["adjustments"],
            "closed": v["closed"],
        }
        for (kam, month), v in sorted(cells.items())
    ]
    statement = pd.DataFrame(rows, columns=STATEMENT_COLUMNS)
    adjusted = pd.DataFrame(
        [{**a, "team": teams.get(a["kam"], "")} for a in frozen_adjustments + live],
        columns=ADJUSTMENT_COLUMNS,
    )
    adjusted = adjusted.sort_values(["month", "kam", "source_month", "kind", "ref"], kind="stable")
    return statement, _summary(summary, statement, teams), adjusted.reset_index(drop=True)


def _summary(summary: pd.DataFrame, statement: pd.DataFrame, teams: dict[str, str]) -> pd.DataFrame:
    """The summary with every total the sum of the KAM's statement rows; a KAM holding only frozen or adjusted
    rows (their data undone since) is added so the totals still add up."""
    totals: dict[str, list[Decimal]] = {}
    for kam, *money in column_rows(statement, "kam", "commission", "clawback", "fines", "adjustments", "net"):
        m = totals.setdefault(kam, [ZERO] * 5)
        for i, value in enumerate(money):
            m[i] += value
    summary = summary.copy()
    extra = sorted(set(totals) - set(summary["kam"]))
    if extra:
        added = pd.DataFrame(
            [{"kam": k, "team": teams.get(k, ""), "weeks_assessed": 0, "weeks_met": 0, "missed_streak": 0, "flag": ""}
             for k in extra],
            columns=SUMMARY_COLUMNS,
        )  # fmt: skip
        summary = pd.concat([summary, added], ignore_index=True)
    got = [totals.get(k, [ZERO] * 5) for k in summary["kam"].tolist()]
    for i, name in enumerate(
        ("commission_total", "clawback_total", "fines_total", "adjustments_total", "net_total")
    ):
        summary[name] = pd.Series([g[i] for g in got], index=summary.index, dtype=object)
    return summary[SUMMARY_COLUMNS]


def frozen_items(results, month: str) -> list[tuple]:
    """The items a close of ``month`` freezes, from ``results`` computed at that moment: (kam, kind, ref,
    source_month, amount, is_adjustment, reason) for its commission and clawback lines, its assessed weeks'
    fines and the adjustments landing in it."""
    items = [
        (kam, kind, ref, m, amount, False, None)
        for (m, kam, kind, ref), amount in sorted(
            now_items(results.commissions, results.weekly, lambda x: x == month).items()
        )
    ]
    adj = results.adjustments
    if len(adj):
        landing = adj[(adj["month"] == month) & ~adj["closed"].astype(bool)]
        items += [
            (r.kam, r.kind, r.ref, r.source_month, r.change, True, r.reason)
            for r in landing.itertuples(index=False)
        ]
    return items
