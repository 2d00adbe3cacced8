"""TEMPORARY stand-in for kam_metrics.engine.story (being written on h-engine): to be deleted when it lands.

The old views.customer_story / claim_now logic, reshaped to the engine API the customer page consumes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from kam_metrics.engine.report import Results

_END_OF_DAY = dt.timedelta(hours=23, minutes=59, seconds=59)
COLUMNS = [
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


@dataclasses.dataclass(frozen=True)
class Claim:
    kam: str
    since: object
    since_date_only: bool
    lapses: dt.date | None


def customer_events(results: Results, phone: str) -> pd.DataFrame:
    events: list[tuple] = []
    for r in results.registrations[results.registrations["phone"] == phone].itertuples(index=False):
        at = r.registered_at + (
            _END_OF_DAY - dt.timedelta(seconds=1) if r.registered_at_date_only else dt.timedelta()
        )
        events.append(
            (
                at,
                1,
                (
                    "registration",
                    r.registered_at,
                    r.registered_at_date_only,
                    "",
                    "",
                    "",
                    r.customer_name,
                    r.salesperson,
                    r.source,
                    "",
                    None,
                    None,
                    None,
                ),
            )
        )
    for r in results.leads[results.leads["phone"] == phone].itertuples(index=False):
        events.append(
            (
                r.reported_at,
                0,
                (
                    "lead",
                    r.reported_at,
                    r.reported_at_date_only,
                    r.kam,
                    r.status,
                    r.claim_kam,
                    r.customer_name,
                    "",
                    "",
                    "",
                    None,
                    None,
                    None,
                ),
            )
        )
    for r in results.visits[results.visits["phone"] == phone].itertuples(index=False):
        at = r.visited_at + (
            _END_OF_DAY - dt.timedelta(seconds=1) if r.visited_at_date_only else dt.timedelta()
        )
        events.append(
            (
                at,
                2,
                (
                    "visit",
                    r.visited_at,
                    r.visited_at_date_only,
                    r.kam,
                    r.status,
                    r.claim_kam,
                    r.customer_name,
                    r.salesperson,
                    "",
                    "",
                    None,
                    None,
                    None,
                ),
            )
        )
    for r in results.commissions[results.commissions["phone"] == phone].itertuples(index=False):
        kam = r.kam if isinstance(r.kam, str) else ""
        if r.line == "commission":
            at = pd.Timestamp(r.signed_date) + _END_OF_DAY
            events.append(
                (
                    at,
                    3,
                    (
                        "deal",
                        r.signed_date,
                        True,
                        kam,
                        r.type,
                        r.reason,
                        r.customer_name,
                        r.salesperson,
                        "",
                        r.property,
                        r.kam_commission,
                        None,
                        None,
                    ),
                )
            )
        else:
            cancelled = r.cancelled_at if not pd.isna(r.cancelled_at) else r.signed_at
            at = pd.Timestamp(cancelled) + _END_OF_DAY
            events.append(
                (
                    at,
                    4,
                    (
                        "clawback",
                        cancelled,
                        True,
                        kam,
                        "clawback",
                        "",
                        r.customer_name,
                        r.salesperson,
                        "",
                        r.property,
                        r.kam_commission,
                        None,
                        None,
                    ),
                )
            )
    events.sort(key=lambda e: (pd.Timestamp(e[0]), e[1]))
    return pd.DataFrame([e[2] for e in events], columns=COLUMNS)


def claim_holder(results: Results, phone: str, at=None) -> Claim | None:
    claims = results.claims[results.claims["phone"] == phone]
    if claims.empty:
        return None
    end = None
    if results.as_of is not None:
        end = pd.Timestamp(results.as_of + dt.timedelta(days=1)).timestamp()
    held = None
    for c in claims.sort_values("start_k").itertuples(index=False):
        lapse = None if pd.isna(c.lapse_ts) else float(c.lapse_ts)
        if end is None or lapse is None or end <= lapse:
            held = (c, lapse)
    if held is None:
        return None
    c, lapse = held
    lead = results.leads[(results.leads["phone"] == phone) & (results.leads["k"] == c.start_k)]
    since = lead["reported_at"].iloc[0] if len(lead) else None
    date_only = bool(lead["reported_at_date_only"].iloc[0]) if len(lead) else False
    lapses = dt.datetime.fromtimestamp(lapse, dt.UTC).date() if lapse is not None else None
    return Claim(c.kam, since, date_only, lapses)
