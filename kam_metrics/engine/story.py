"""One customer's history and current claim, in the engine's own SPEC §3 order, for the customer page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from kam_metrics.engine.report import Results

EVENT_COLUMNS = [
    "event",
    "at",
    "date_only",
    "kam",
    "code",
    "reason",
    "customer_name",
    "salesperson",
    "source",
    "property",
    "amount",
    "upload_id",
    "row_no",
]
# Within one order key (SPEC §3 "Before" is already in the key): a registration at a lead's moment is before
# it (it makes the lead an overlap), leads before visits, and a deal's clawback after the deal.
_RANK = {"registration": 0, "lead": 1, "visit": 2, "deal": 3, "clawback": 4}


@dataclass(frozen=True)
class Claim:
    """The claim on a phone in force at a moment: its holder, the claiming lead's time, and when it lapses
    (None: never, SPEC §3 protection_days = 0 or a valid visit in time)."""

    kam: str
    since: pd.Timestamp
    since_date_only: bool
    lapses: dt.date | None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def customer_events(results: Results, phone: str) -> pd.DataFrame:
    """Every registration, lead, visit, deal line and clawback line of ``phone``, in the order the attribution
    decided them (its order key ``k``, then registration < lead < visit < deal < clawback, upload, row).

    Columns: EVENT_COLUMNS. ``at`` is the stored timestamp (a deal's signed date; a clawback's cancelled_at,
    or signed_at when no cancellation date was given); ``kam`` is "" when none; ``code`` the lead or visit
    status, the deal type or "clawback"; ``reason`` the unattributed reason or ""; ``amount`` the line's
    kam_commission (Decimal) for deal and clawback lines, else None."""
    rows: list[tuple] = []  # (k, rank, upload_id, row_no, sheet, row)

    def add(event: str, r, at, date_only: bool, **values) -> None:
        row = {
            "event": event,
            "at": pd.Timestamp(at),
            "date_only": bool(date_only),
            "kam": _text(values.get("kam")) or "",
            "code": values.get("code", ""),
            "reason": values.get("reason", ""),
            "customer_name": _text(getattr(r, "customer_name", None)),
            "salesperson": _text(getattr(r, "salesperson", None)),
            "source": _text(getattr(r, "source", None)),
            "property": _text(getattr(r, "property", None)),
            "amount": values.get("amount"),
            "upload_id": int(r.upload_id),
            "row_no": int(r.row_no),
        }
        rows.append((int(r.k), _RANK[event], int(r.upload_id), int(r.row_no), str(r.sheet), row))

    regs = results.registrations
    for r in regs[regs["phone"] == phone].itertuples(index=False):
        add("registration", r, r.registered_at, r.registered_at_date_only)
    for r in results.leads[results.leads["phone"] == phone].itertuples(index=False):
        add("lead", r, r.reported_at, r.reported_at_date_only, kam=r.kam, code=r.status)
    for r in results.visits[results.visits["phone"] == phone].itertuples(index=False):
        add("visit", r, r.visited_at, r.visited_at_date_only, kam=r.kam, code=r.status)
    lines = results.commissions
    for r in lines[lines["phone"] == phone].itertuples(index=False):
        if r.line == "commission":
            add(
                "deal",
                r,
                r.signed_date,
                True,
                kam=r.kam,
                code=r.type,
                reason=r.reason,
                amount=r.kam_commission,
            )
        else:
            at = r.signed_at if pd.isna(r.cancelled_at) else r.cancelled_at
            add("clawback", r, at, True, kam=r.kam, code="clawback", reason=r.reason, amount=r.kam_commission)
    rows.sort(key=lambda e: e[:5])
    # object columns, so missing text and amounts stay None (pandas would infer a string dtype holding NaN)
    data = {c: pd.Series([e[5][c] for e in rows], dtype=object) for c in EVENT_COLUMNS}
    for c in ("at", "date_only", "upload_id", "row_no"):
        data[c] = pd.Series(list(data[c]), dtype={"at": "datetime64[us]", "date_only": bool}.get(c, "int64"))
    return pd.DataFrame(data, columns=EVENT_COLUMNS)


def _key_of(at: dt.datetime) -> int:
    """The attribution's order key of a timed moment (days since 1970 × 100000 + second of the day + 1)."""
    ts = pd.Timestamp(at)
    days = (ts.normalize() - pd.Timestamp("1970-01-01")).days
    return days * 100000 + int((ts - ts.normalize()).total_seconds()) + 1


def claim_holder(results: Results, phone: str, at: dt.datetime | None = None) -> Claim | None:
    """The claim on ``phone`` in force at ``at`` (default: the end of results.as_of, 23:59:59), or None.

    A claim counts when its lead is at or before ``at`` and it has not lapsed (SPEC §3: in force while
    t < reported_at + protection_days × 24 h, for ever once its holder has a valid visit in time); of those,
    the latest. With neither ``at`` nor as_of (an empty store) every claim counts."""
    claims = results.claims[results.claims["phone"] == phone]
    if claims.empty:
        return None
    if at is None and results.as_of is not None:
        at = dt.datetime.combine(results.as_of, dt.time(23, 59, 59))
    held = None
    for c in claims.sort_values("start_k").itertuples(index=False):
        lapse = None if pd.isna(c.lapse_ts) else int(c.lapse_ts)
        if at is None:
            held = (c, lapse)
            continue
        started = int(c.start_k) <= _key_of(at)
        if started and (lapse is None or pd.Timestamp(at).timestamp() < lapse):
            held = (c, lapse)
    if held is None:
        return None
    c, lapse = held
    leads = results.leads
    lead = leads[(leads["phone"] == phone) & (leads["k"] == c.start_k) & (leads["kam"] == c.kam)]
    lapses = dt.datetime.fromtimestamp(lapse, dt.UTC).date() if lapse is not None else None
    return Claim(
        kam=c.kam,
        since=pd.Timestamp(lead["reported_at"].iloc[0]),
        since_date_only=bool(lead["reported_at_date_only"].iloc[0]),
        lapses=lapses,
    )
