"""The reference attribution pass (SPEC §3): leads and visits decided one by one in time order, for any protection_days."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics import sql
from kam_metrics.contract.codes import VALID
from kam_metrics.contract.results import columns_before_team
from kam_metrics.contract.rules import BEGINNING, RuleSet
from kam_metrics.contract.text import HONORIFICS
from kam_metrics.engine import adjudication

LEAD_COLUMNS = columns_before_team("leads")
VISIT_COLUMNS = columns_before_team("visits")
# The row order of the leads and visits frames; rows with the same key, upload and row number (two sheets of
# one kind in one file) are ordered by sheet name.
ROW_ORDER = [("k", "ascending"), ("upload_id", "ascending"), ("row_no", "ascending"), ("sheet", "ascending")]


def names_match(a: str | None, b: str | None) -> bool:
    """SPEC §3 visit check 5: equal, or a surname + honorific against a name starting with that surname."""
    if a is None or b is None or a == b:
        return True
    for x, y in ((a, b), (b, a)):
        for h in HONORIFICS:
            if x.endswith(h) and len(x) > len(h) and y.startswith(x[: -len(h)]):
                return True
    return False


def _pylist(column: pa.ChunkedArray) -> list:
    """A column as a Python list (through NumPy for numbers and booleans without nulls: several times faster)."""
    if column.null_count == 0 and (pa.types.is_integer(column.type) or pa.types.is_boolean(column.type)):
        return column.to_numpy().tolist()
    return column.to_pylist()


def decide(
    events: pa.Table, protection_days: int | list[int], verdicts: dict[int, str] | None = None
) -> tuple[list, list, list, list]:
    """The one time-ordered pass over leads and visits, phone by phone, each seeing the claims as they stand.

    ``events`` are the rows of the int_events model, in its order; ``protection_days`` is one number, or one per
    event (the version in force at each lead's reported_at, SPEC §6). Returns per event (status, claim holder at
    that moment, claim id) and the list of claims [claim_id, phone, kam, lead event index, start key, lapse
    epoch or None]. ``verdicts`` are the adjudicated events' statuses by event index (SPEC §8).
    """
    columns = ("etype", "phone", "kam", "customer_name", "salesperson", "ts", "k", "overlap", "not_reported",
               "too_late", "not_first")  # fmt: skip
    etype, phone, kam, name, sales, ts, key, overlap, not_reported, too_late, not_first = (
        _pylist(events.column(c)) for c in columns
    )
    spans = [d * 86400 for d in protection_days] if isinstance(protection_days, list) else None
    span = 0 if spans is not None else protection_days * 86400
    n = len(etype)
    status: list[str] = [""] * n
    holder_at: list[str | None] = [None] * n
    claim_at: list[int | None] = [None] * n
    claims: list[list] = []
    current = None
    holder = None  # claim: [claim_id, phone, kam, event index, start key, lapse or None]
    visited: set[str] = set()
    for i in range(n):
        if phone[i] != current:
            current, holder, visited = phone[i], None, set()
        in_force = holder is not None and (holder[5] is None or ts[i] < holder[5])
        if in_force:
            holder_at[i], claim_at[i] = holder[2], holder[0]
        if verdicts and i in verdicts:  # SPEC §8: the adjudicated status instead of the checks
            status[i] = verdicts[i]
            event = (
                etype[i] == 0,
                i,
                phone[i],
                kam[i],
                key[i],
                ts[i],
                spans[i] if spans is not None else span,
            )
            holder = adjudication.follow(verdicts[i], event, holder, in_force, visited, claims)
            if holder is not None and holder[3] == i:
                holder_at[i], claim_at[i] = holder[2], holder[0]
            continue
        if etype[i] == 0:
            if overlap[i]:
                status[i] = "registry_overlap"
            elif in_force:
                status[i] = "duplicate_own" if holder[2] == kam[i] else "owned_by_other"
            else:
                status[i] = VALID
                if spans is not None:
                    span = spans[i]
                holder = [len(claims), phone[i], kam[i], i, key[i], ts[i] + span if span else None]
                claims.append(holder)
                holder_at[i], claim_at[i] = holder[2], holder[0]
        else:
            if not_reported[i]:
                status[i] = "not_reported"
            elif too_late[i]:
                status[i] = "reported_too_late"
            elif not in_force or holder[2] != kam[i]:
                status[i] = "no_valid_claim"
            elif not_first[i]:
                status[i] = "not_first_visit"
            elif kam[i] in visited:
                status[i] = "duplicate_visit"
            elif not names_match(name[i], name[holder[3]]):
                status[i] = "name_mismatch"
            elif sales[i] is None:
                status[i] = "no_handover"
            else:
                status[i] = VALID
                visited.add(kam[i])
                holder[5] = None  # a valid visit before the lapse keeps the claim for ever
    return status, holder_at, claim_at, claims


def protection_by_event(events: pa.Table, rules: RuleSet) -> int | list[int]:
    """protection_days for ``decide``: one number when every version has the same, else the number in force on
    each event's date (the version a lead's claim lapses by, SPEC §6)."""
    versions = rules.versions
    values = [r.protection_days for _, r in versions]
    if len(set(values)) == 1:
        return values[0]
    # ts is the local timestamp in epoch seconds, so whole days since 1970 are its date
    days = events["ts"].to_numpy() // 86400
    starts = np.array([(d - dt.date(1970, 1, 1)).days if d != BEGINNING else np.iinfo(np.int64).min
                       for d, _ in versions], dtype=np.int64)  # fmt: skip
    index = np.searchsorted(starts, days, side="right") - 1
    return np.array(values, dtype=np.int64)[index].tolist()


def reference_tables(
    cur: duckdb.DuckDBPyConnection,
    rules: RuleSet,
    adjudicated: adjudication.Adjudicated | None = None,
    phones: list[str] | None = None,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(leads, visits, claims) from the reference pass (decide), for any protection_days, with the live
    ``adjudicated`` leads and visits (SPEC §8), and only for ``phones`` when given; kam_rule_days
    (attribution.rule_days) must be registered on ``cur``."""
    check_lead_time = any(r.min_lead_minutes > 0 for _, r in rules.versions)
    # the phones filter the stored rows before the events are built (tens of thousands of phones at 1M leads)
    cur.register("kam_pass_phones", pa.table({"phone": pa.array(phones or [], pa.string())}))
    try:
        events = sql.run(
            cur, "int_events", check_lead_time=check_lead_time, some_phones=phones is not None
        ).to_arrow_table()
    finally:
        cur.unregister("kam_pass_phones")
    verdicts, ids = adjudication.event_verdicts(events, adjudicated)
    status, holder_at, _, claims = decide(events, protection_by_event(events, rules), verdicts)
    events = events.append_column("adjudication", ids)
    events = events.append_column("status", pa.array(status, pa.string()))
    events = events.append_column("claim_kam", pa.array(holder_at, pa.string()))
    is_lead = pc.equal(events["etype"], 0)
    leads = events.filter(is_lead).rename_columns(
        {"at_ts": "reported_at", "date_only": "reported_at_date_only"}
    )
    visits = events.filter(pc.invert(is_lead)).rename_columns(
        {"at_ts": "visited_at", "date_only": "visited_at_date_only"}
    )
    leads = leads.take(pc.sort_indices(leads, sort_keys=ROW_ORDER)).select(LEAD_COLUMNS)
    visits = visits.take(pc.sort_indices(visits, sort_keys=ROW_ORDER)).select(VISIT_COLUMNS)
    claim_table = pa.table(
        {
            "claim_id": pa.array([c[0] for c in claims], pa.int64()),
            "phone": pa.array([c[1] for c in claims], pa.string()),
            "kam": pa.array([c[2] for c in claims], pa.string()),
            "start_k": pa.array([c[4] for c in claims], pa.int64()),
            "lapse_ts": pa.array([c[5] for c in claims], pa.int64()),
        }
    )
    return leads, visits, claim_table
