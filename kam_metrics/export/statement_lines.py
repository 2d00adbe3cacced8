"""What one KAM's monthly statement (结算单, SPEC §9) lists: its deal, fine and adjustment lines and its totals.

Every amount here is its effect on net (a clawback or a fine is negative), so the lines of a section add up to
that section's total and the sections add up to net. The totals are the KAM's statement row itself.

A closed month shows what was frozen when it was closed. Results carries no close items, but it carries every
adjustment made since (frozen in later closed months or landing in the open month), and for each item
paid = frozen + the changes of later adjustments, and now − paid is the open month's change; so an item's
frozen amount is what the engine computes for it now minus every change recorded for it with this month as
source. The lines are therefore the frozen items themselves, each with the deal's details as stored now.
Should they still not add up to the frozen row (results a caller trimmed), a section gets one line for the
difference rather than a total its lines contradict.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from kam_metrics.contract.errors import CodedError
from kam_metrics.contract.text import MOBILE_IN_TEXT
from kam_metrics.engine.close import ZERO, deal_ref, week_first_day
from kam_metrics.engine.close_reasons import describe

SECTIONS = ("commission", "clawback", "fine", "adjustment")
QUOTAS = ("units", "batches", "numbers")


class NoStatement(CodedError, LookupError):
    """No statement row for this KAM and month; ``code`` names why (locale key statement_pdf.error.*)."""

    PREFIX = "statement_pdf.error."


@dataclass(frozen=True)
class DealLine:
    signed: str
    property: str
    customer: str
    phone: str  # masked
    type: str  # a deal type code, "" when the frozen deal is no longer this KAM's
    cancelled: str
    amount: Decimal  # effect on net
    changed: bool = False  # a closed month's item that has changed since the close


@dataclass(frozen=True)
class FineLine:
    week: str
    days: str
    # (quota, count, target) of each missed quota; None: not known (a closed month's week changed since)
    short: tuple[tuple[str, int, int], ...] | None
    amount: Decimal
    changed: bool = False


@dataclass(frozen=True)
class AdjustmentLine:
    source_month: str
    kind: str
    reason: str  # in the page's language, phones masked
    amount: Decimal


@dataclass(frozen=True)
class Statement:
    kam: str
    team: str
    month: str
    closed: bool
    totals: dict[str, Decimal]  # commission, clawback, fine, adjustment (effects on net) and net
    commissions: list[DealLine] = field(default_factory=list)
    clawbacks: list[DealLine] = field(default_factory=list)
    fines: list[FineLine] = field(default_factory=list)
    adjustments: list[AdjustmentLine] = field(default_factory=list)
    rest: dict[str, Decimal] = field(default_factory=dict)  # section → amount its lines do not show

    def lines_of(self, section: str) -> list:
        return {
            "commission": self.commissions,
            "clawback": self.clawbacks,
            "fine": self.fines,
            "adjustment": self.adjustments,
        }[section]


def mask(text: object) -> str:
    """Every mainland mobile number in ``text`` as ``138****5678`` (a printed page is passed around)."""
    return "" if text is None else MOBILE_IN_TEXT.sub(r"\1****\3", str(text))


def _day(value: object) -> str:
    if value is None or (not isinstance(value, (str, dt.date)) and pd.isna(value)):
        return ""
    return value if isinstance(value, str) else f"{value:%Y-%m-%d}"


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def months_of(results, kam: str) -> list[str]:
    """The months holding a statement row for ``kam``."""
    rows = results.statement
    return sorted(rows.loc[rows["kam"] == kam, "month"].tolist())


def statement_of(results, kam: str, month: str, lang: str) -> Statement:
    """The statement of ``kam`` for ``month`` from ``results`` (any scope); raises NoStatement."""
    rows = results.statement
    mine = rows[rows["kam"] == kam]
    if mine.empty:
        known = set(results.kams["kam"].tolist()) if len(results.kams) else set()
        raise NoStatement("no_months" if kam in known else "unknown_kam", kam=kam, month=month)
    row = mine[mine["month"] == month]
    if row.empty:
        raise NoStatement("no_row", kam=kam, month=month, months=", ".join(months_of(results, kam)))
    r = row.iloc[0]
    totals = {
        "commission": r["commission"],
        "clawback": -r["clawback"],
        "fine": -r["fines"],
        "adjustment": r["adjustments"],
        "net": r["net"],
    }
    closed = bool(r["closed"])
    changes = _changes(results.adjustments, kam, month) if closed else {}
    commissions, clawbacks = _deal_lines(results.commissions, kam, month, changes)
    fines = _fine_lines(results.weekly, kam, month, changes)
    adjustments = _adjustment_lines(results.adjustments, kam, month, lang)
    got = Statement(
        kam=kam,
        team=_text(r["team"]),
        month=month,
        closed=closed,
        totals=totals,
        commissions=commissions,
        clawbacks=clawbacks,
        fines=fines,
        adjustments=adjustments,
    )
    for section in SECTIONS:
        shown = sum((line.amount for line in got.lines_of(section)), ZERO)
        if shown != totals[section]:
            got.rest[section] = totals[section] - shown
    return got


def _changes(adjustments: pd.DataFrame, kam: str, month: str) -> dict[tuple[str, str], Decimal]:
    """(kind, ref) → the sum of the item's own changes recorded since ``month`` was closed."""
    found: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    if len(adjustments):
        mine = adjustments[(adjustments["kam"] == kam) & (adjustments["source_month"] == month)]
        for kind, ref, change in zip(mine["kind"], mine["ref"], mine["change"], strict=True):
            found[(kind, ref)] += Decimal(change)
    return found


def _deal_lines(commissions: pd.DataFrame, kam: str, month: str, changes) -> tuple[list, list]:
    """The commission and clawback lines; in a closed month each at its frozen amount."""
    mine = commissions[
        (commissions["kam"] == kam)
        & (commissions["month"] == month)
        & (commissions["type"] != "unattributed")
    ]
    out: dict[str, list[DealLine]] = {"commission": [], "clawback": []}
    seen: set[tuple[str, str]] = set()
    for r in mine.sort_values(["signed_date", "property", "k"], kind="stable").itertuples(index=False):
        kind = "commission" if r.line == "commission" else "clawback"
        ref = deal_ref(r.property, r.phone, r.signed_date)
        seen.add((kind, ref))
        own = r.kam_commission if kind == "commission" else -r.kam_commission  # the item's own amount
        change = changes.get((kind, ref), ZERO)
        frozen = own - change
        if changes and frozen == ZERO and change != ZERO:
            continue  # a deal this month that was not paid in it: the open month's adjustment pays it
        out[kind].append(
            DealLine(
                signed=_day(r.signed_date),
                property=_text(r.property),
                customer=_text(r.customer_name),
                phone=mask(r.phone),
                type=r.type if change == ZERO else "",
                cancelled=_day(r.cancelled_at) if kind == "clawback" else "",
                amount=frozen if kind == "commission" else -frozen,
                changed=change != ZERO,
            )
        )
    # Frozen deals no longer this KAM's in this month (moved, undone, no longer cancelled): from the ref.
    names = _customers(commissions)
    for (kind, ref), change in sorted(changes.items()):
        if kind == "fine" or (kind, ref) in seen or change == ZERO:
            continue
        prop, phone, signed = ref.rsplit(" · ", 2)
        frozen = -change
        out[kind].append(
            DealLine(
                signed=signed,
                property=prop,
                customer=names.get(ref, ""),
                phone=mask(phone),
                type="",
                cancelled="",
                amount=frozen if kind == "commission" else -frozen,
                changed=True,
            )
        )
    return out["commission"], out["clawback"]


def _customers(commissions: pd.DataFrame) -> dict[str, str]:
    lines = commissions[commissions["line"] == "commission"]
    return {
        deal_ref(p, ph, s): _text(n)
        for p, ph, s, n in zip(
            lines["property"], lines["phone"], lines["signed_date"], lines["customer_name"], strict=True
        )
    }


def _fine_lines(weekly: pd.DataFrame, kam: str, month: str, changes) -> list[FineLine]:
    """Every assessed week ending in ``month`` (a met week too, fined 0), in a closed month at its frozen fine."""
    out: list[FineLine] = []
    seen: set[str] = set()
    if len(weekly):
        mine = weekly[(weekly["kam"] == kam) & ~weekly["in_progress"].astype(bool)]
        for r in mine.sort_values("week_start").itertuples(index=False):
            if (r.week_start + dt.timedelta(days=6)).strftime("%Y-%m") != month:
                continue
            seen.add(r.week)
            change = changes.get(("fine", r.week), ZERO)
            short = tuple(
                (q, int(getattr(r, q)), int(getattr(r, q)) + int(getattr(r, f"{q}_short")))
                for q in QUOTAS
                if int(getattr(r, f"{q}_short")) > 0
            )
            out.append(
                FineLine(
                    week=r.week,
                    days=_days(r.week_start),
                    short=short if change == ZERO else None,
                    amount=-(r.fine - change),
                    changed=change != ZERO,
                )
            )
    for (kind, ref), change in sorted(changes.items()):
        if kind == "fine" and ref not in seen and change != ZERO:
            out.append(
                FineLine(week=ref, days=_days(week_first_day(ref)), short=None, amount=change, changed=True)
            )
    return out


def _days(start: dt.date) -> str:
    end = start + dt.timedelta(days=6)
    return f"{start:%m-%d} – {end:%m-%d}"


def _adjustment_lines(adjustments: pd.DataFrame, kam: str, month: str, lang: str) -> list[AdjustmentLine]:
    if not len(adjustments):
        return []
    mine = adjustments[(adjustments["kam"] == kam) & (adjustments["month"] == month)]
    return [
        AdjustmentLine(
            source_month=r.source_month,
            kind=r.kind,
            reason=mask(describe(r.reason, lang)),
            amount=Decimal(r.amount),
        )
        for r in mine.itertuples(index=False)
    ]
