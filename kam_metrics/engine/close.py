"""Period close (SPEC §9): closed months' frozen statement rows and the adjustments landing in the open month."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd
import pyarrow as pa

from kam_metrics.contract.results import RESULT_COLUMNS
from kam_metrics.i18n import t

ZERO = Decimal("0.00")
KINDS = ("commission", "clawback", "fine")
SIGN = {"commission": 1, "clawback": -1, "fine": -1}  # an item's effect on net per unit of its amount
STATEMENT_COLUMNS = list(RESULT_COLUMNS["statement"])
SUMMARY_COLUMNS = list(RESULT_COLUMNS["summary"])
ADJUSTMENT_COLUMNS = list(RESULT_COLUMNS["adjustments"])
# Which stored rows can explain each kind of change, most telling first: a registry row takes a credit away, a
# lead or visit of another KAM moves it, a deal row brings a new or changed deal (a weekly deal export repeats
# old deals, so a deal row comes last where the deal itself did not change).
_WEEK_SHEETS = ("units", "leads", "visits")
_SHEETS_FOR = {
    "credit_none": ("registrations", "leads", "visits", "deals"),
    "credit_moved": ("leads", "visits", "registrations", "deals"),
    "credit_new": ("deals", "leads", "visits", "registrations"),
    "credit_changed": ("visits", "leads", "deals", "registrations"),
}
_DEAL_SHEETS = ("deals",)


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
    for kam, month, line, prop, phone, signed, amount in zip(
        lines["kam"].tolist(),
        lines["month"].tolist(),
        lines["line"].tolist(),
        lines["property"].tolist(),
        lines["phone"].tolist(),
        lines["signed_date"].tolist(),
        lines["kam_commission"].tolist(),
        strict=True,
    ):
        kind = "commission" if line == "commission" else "clawback"
        found[(month, kam, kind, deal_ref(prop, phone, signed))] = amount if kind == "commission" else -amount
    if not weekly.empty:
        assessed = weekly[~weekly["in_progress"].astype(bool)]
        for kam, week, start, fine in zip(
            assessed["kam"].tolist(),
            assessed["week"].tolist(),
            assessed["week_start"].tolist(),
            assessed["fine"].tolist(),
            strict=True,
        ):
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
    explain = _Explainer(cur, frozen, commissions, weekly, changed)
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


class _Explainer:
    """Why an item changed: the item's state now and the newest stored row about it uploaded after its close."""

    def __init__(self, cur, frozen: Frozen, commissions: pd.DataFrame, weekly: pd.DataFrame, changed) -> None:
        deals = {ref for (_, _, kind, ref), _, _ in changed if kind != "fine"}
        lines = commissions[commissions["phone"].isin({r.split(" · ")[-2] for r in deals})]
        self.deal: dict[str, dict] = {}
        for row in lines.itertuples(index=False):
            ref = deal_ref(row.property, row.phone, row.signed_date)
            if ref in deals and row.line == "commission":
                self.deal[ref] = {
                    "kam": row.kam, "type": row.type, "reason": row.reason, "status": row.status,
                    "cancelled_at": row.cancelled_at, "phone": row.phone,
                }  # fmt: skip
        self.week: dict[tuple[str, str], dict] = {}
        if not weekly.empty:
            weeks = {(kam, ref) for (_, kam, kind, ref), _, _ in changed if kind == "fine"}
            for row in weekly[~weekly["in_progress"].astype(bool)].itertuples(index=False):
                if (row.kam, row.week) in weeks:
                    self.week[(row.kam, row.week)] = {
                        "units": int(row.units), "batches": int(row.batches), "numbers": int(row.numbers),
                        "start": row.week_start,
                    }  # fmt: skip
        self.frozen = frozen
        self.rows = _late_rows(cur, frozen, changed, self.deal)

    def __call__(self, source_month: str, kam: str, kind: str, ref: str, was: Decimal, now: Decimal) -> dict:
        why, values, sheets = self._why(source_month, kam, kind, ref, was)
        cause = None
        seen = self.frozen.seen(source_month)
        key = ("week", kam, ref) if kind == "fine" else ("deal", ref)
        candidates = [r for r in self.rows.get(key, []) if r[3] > seen and r[0] in sheets]
        if candidates:
            sheet, at, uploaded, _ = max(candidates, key=lambda r: (-sheets.index(r[0]), r[3], r[1]))
            cause = {"sheet": sheet, "date": f"{at:%Y-%m-%d}", "uploaded": f"{uploaded:%Y-%m-%d}"}
        return {
            "kind": kind, "ref": ref, "source_month": source_month, "paid": str(was), "now": str(now),
            "why": why, "values": values, "cause": cause,
        }  # fmt: skip

    def _why(self, source_month: str, kam: str, kind: str, ref: str, was: Decimal) -> tuple[str, dict, tuple]:
        if kind == "fine":
            week = self.week.get((kam, ref))
            if week is None:
                return "week_gone", {}, _WEEK_SHEETS
            counts = {k: week[k] for k in ("units", "batches", "numbers")}
            return "fine_counts", counts, _WEEK_SHEETS
        deal = self.deal.get(ref)
        if deal is None:
            return "deal_gone", {}, _DEAL_SHEETS
        if deal["kam"] != kam or deal["type"] == "unattributed":
            if deal["type"] == "unattributed":
                return "credit_none", {"reason": deal["reason"]}, _SHEETS_FOR["credit_none"]
            return "credit_moved", {"other": deal["kam"]}, _SHEETS_FOR["credit_moved"]
        if kind == "clawback":
            if deal["status"] != "cancelled":
                return "cancel_gone", {}, _DEAL_SHEETS
            day = (
                f"{pd.Timestamp(deal['cancelled_at']):%Y-%m-%d}" if not pd.isna(deal["cancelled_at"]) else ""
            )
            if not day.startswith(source_month):
                return "cancel_moved", {"date": day}, _DEAL_SHEETS
            if was == ZERO:
                return "cancel_new", {"date": day}, _DEAL_SHEETS
        if was == ZERO:
            return "credit_new", {"type": deal["type"]}, _SHEETS_FOR["credit_new"]
        return "credit_changed", {"type": deal["type"]}, _SHEETS_FOR["credit_changed"]


def _late_rows(cur, frozen: Frozen, changed, deals: dict[str, dict]) -> dict[tuple, list]:
    """Stored rows about the changed items uploaded after the earliest close: (sheet, row date, uploaded_at,
    upload_id)."""
    after = frozen.closes[0][1]
    phones = sorted({r.split(" · ")[-2] for (_, _, kind, r), _, _ in changed if kind != "fine"})
    weeks = [(kam, ref) for (_, kam, kind, ref), _, _ in changed if kind == "fine"]
    found: dict[tuple, list] = defaultdict(list)
    if phones:
        cur.register("kam_close_phones", pa.table({"phone": pa.array(phones, pa.string())}))
        try:
            got = cur.execute(
                """with late as (select upload_id, uploaded_at from uploads where upload_id > ?)
                   select 'registrations', phone, registered_at, uploaded_at, upload_id from registrations join late using (upload_id)
                     where phone in (select phone from kam_close_phones)
                   union all select 'leads', phone, reported_at, uploaded_at, upload_id from leads join late using (upload_id)
                     where phone in (select phone from kam_close_phones)
                   union all select 'visits', phone, visited_at, uploaded_at, upload_id from visits join late using (upload_id)
                     where phone in (select phone from kam_close_phones)
                   union all select 'deals', phone, signed_at, uploaded_at, upload_id from deals join late using (upload_id)
                     where phone in (select phone from kam_close_phones)""",
                [after],
            ).fetchall()
        finally:
            cur.unregister("kam_close_phones")
        by_phone = defaultdict(list)
        for sheet, phone, at, uploaded, upload_id in got:
            by_phone[phone].append((sheet, at, uploaded, upload_id))
        for (_, _, kind, ref), _, _ in changed:
            if kind != "fine":
                found[("deal", ref)] = by_phone.get(ref.split(" · ")[-2], [])
    if weeks:
        starts = [week_first_day(ref) for _, ref in weeks]
        cur.register(
            "kam_close_weeks",
            pa.table({
                "kam": pa.array([kam for kam, _ in weeks], pa.string()),
                "ref": pa.array([ref for _, ref in weeks], pa.string()),
                "start": pa.array(starts, pa.date32()),
            }),
        )  # fmt: skip
        try:
            got = cur.execute(
                """with late as (select upload_id, uploaded_at from uploads where upload_id > ?),
                   rows as (
                     select 'units' as sheet, kam, date as at, uploaded_at, upload_id from units join late using (upload_id)
                     union all select 'leads', kam, reported_at, uploaded_at, upload_id from leads join late using (upload_id)
                     union all select 'visits', kam, visited_at, uploaded_at, upload_id from visits join late using (upload_id))
                   select w.kam, w.ref, r.sheet, r.at, r.uploaded_at, r.upload_id from kam_close_weeks w
                   join rows r on r.kam = w.kam and r.at >= w.start and r.at < w.start + interval 7 day""",
                [after],
            ).fetchall()
        finally:
            cur.unregister("kam_close_weeks")
        for kam, ref, sheet, at, uploaded, upload_id in got:
            found[("week", kam, ref)].append((sheet, at, uploaded, upload_id))
    return found


def describe(reason: str, lang: str) -> str:
    """The reason a director reads, from an adjustment's stored reason (JSON, see adjustments)."""
    r = json.loads(reason)
    item = t(f"close.item.{r['kind']}", lang, ref=r["ref"], source_month=r["source_month"])
    values = dict(r["values"])
    if "reason" in values:
        values["reason"] = t(f"reason.{values['reason']}", lang)
    if "type" in values:
        values["type"] = t(f"type.{values['type']}", lang)
    why = t(f"close.why.{r['why']}", lang, **values)
    paid, now = (f"{Decimal(r[k]):,.2f}" for k in ("paid", "now"))
    if r.get("cause"):
        c = r["cause"]
        cause = t(
            "close.cause",
            lang,
            sheet=t(f"close.sheet.{c['sheet']}", lang),
            date=c["date"],
            uploaded=c["uploaded"],
        )
        return t("close.reason_with_cause", lang, item=item, paid=paid, now=now, cause=cause, why=why)
    return t("close.reason", lang, item=item, paid=paid, now=now, why=why)


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
    for kam, month, commission, clawback, fines in zip(
        later["kam"].tolist(),
        later["month"].tolist(),
        later["commission"].tolist(),
        later["clawback"].tolist(),
        later["fines"].tolist(),
        strict=True,
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
    for kam, *money in zip(
        statement["kam"].tolist(),
        statement["commission"].tolist(),
        statement["clawback"].tolist(),
        statement["fines"].tolist(),
        statement["adjustments"].tolist(),
        statement["net"].tolist(),
        strict=True,
    ):
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
