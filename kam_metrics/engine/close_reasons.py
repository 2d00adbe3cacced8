"""Why a closed month's item changed (SPEC §9): an adjustment's reason, stored as JSON and read in any language."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import pandas as pd
import pyarrow as pa

from kam_metrics.contract.text import OTHER_KAM_MARK
from kam_metrics.engine.close import ZERO, Frozen, deal_ref, week_first_day
from kam_metrics.i18n import t

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


class Explainer:
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
        self.first_stored = _first_stored(cur, deals)

    def __call__(self, source_month: str, kam: str, kind: str, ref: str, was: Decimal, now: Decimal) -> dict:
        why, values, sheets = self._why(source_month, kam, kind, ref, was)
        if why == "credit_new" and self.first_stored.get(ref, 0) > self.frozen.seen(source_month):
            why = "deal_new"  # the deal itself arrived after its month was closed
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


def _first_stored(cur, refs: set[str]) -> dict[str, int]:
    """ref → the first upload holding the deal (its rows of every upload, not only the current one)."""
    if not refs:
        return {}
    phones = sorted({r.split(" · ")[-2] for r in refs})
    got = cur.execute(
        "select property, phone, signed_at, min(upload_id) from deals where list_contains(?, phone) group by all",
        [phones],
    ).fetchall()
    return {deal_ref(p, ph, at): first for p, ph, at, first in got}


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
    if values.get("other") == OTHER_KAM_MARK:  # scoped for a viewer who may not see that KAM (access.scope)
        values["other"] = t("scope.other_kam", lang)
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
