"""Adjudications in the attribution pass (SPEC §8): which stored leads and visits they decide, the claim after
each, the fast path's hand-over of adjudicated phones to the reference pass, and the adjudications frame.

Units and deals are adjudicated inside their SQL models (fct_unit_status, fct_commission_lines). Only live
adjudications decide (not replaced, not removed); one whose row is not stored is orphaned and decides nothing
until the row is stored, because it is matched to the stored rows each time the results are computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.contract.codes import VALID
from kam_metrics.contract.results import RESULT_COLUMNS

# The stored adjudications that decide (the others are kept as history).
LIVE = "replaced_by is null and removed_at is null"
# The order of int_events, which the pass needs.
EVENT_ORDER = [(c, "ascending") for c in ("phone", "k", "etype", "upload_id", "row_no")]


@dataclass
class Adjudicated:
    """The live lead and visit adjudications that name a stored row: (etype, upload_id, sheet, row_no) →
    (verdict, adjudication id), and the phones of those rows."""

    events: dict[tuple[int, int, str, int], tuple[str, int]] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)


def load(cur: duckdb.DuckDBPyConnection) -> Adjudicated:
    """The live lead and visit adjudications matched to the stored rows by natural key (SPEC §2: kam, phone and
    the reported_at / visited_at timestamp)."""
    rows = cur.execute(
        f"""
        select 0, l.upload_id, l.sheet, l.row_no, l.phone, a.verdict, a.adjudication_id
        from adjudications a join leads l on l.kam = a.kam and l.phone = a.phone and l.reported_at = a.row_at
        where a.kind = 'lead' and {LIVE}
        union all
        select 1, v.upload_id, v.sheet, v.row_no, v.phone, a.verdict, a.adjudication_id
        from adjudications a join visits v on v.kam = a.kam and v.phone = a.phone and v.visited_at = a.row_at
        where a.kind = 'visit' and {LIVE}
        """
    ).fetchall()
    found = Adjudicated()
    for etype, upload_id, sheet, row_no, _phone, verdict, adjudication_id in rows:
        found.events[(etype, upload_id, sheet, row_no)] = (verdict, adjudication_id)
    found.phones = sorted({r[4] for r in rows})
    return found


def event_verdicts(events: pa.Table, adjudicated: Adjudicated | None) -> tuple[dict[int, str], pa.Array]:
    """Per event of ``events`` (int_events rows, in order): {event index: adjudicated verdict} and the
    adjudication id of every event (null when none), looking only at the adjudicated phones' rows."""
    ids = np.full(events.num_rows, -1, dtype=np.int64)
    verdicts: dict[int, str] = {}
    if adjudicated is not None and adjudicated.events and events.num_rows:
        mask = pc.is_in(events["phone"], value_set=pa.array(adjudicated.phones, pa.string()))
        positions = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
        picked = events.take(pa.array(positions, pa.int64())).select(
            ["etype", "upload_id", "sheet", "row_no"]
        )
        for i, key in zip(
            positions, zip(*(picked[c].to_pylist() for c in picked.column_names), strict=True), strict=True
        ):
            hit = adjudicated.events.get(key)
            if hit is not None:
                verdicts[i], ids[i] = hit
    return verdicts, pa.array(ids, pa.int64(), mask=ids < 0)


def follow(verdict: str, event: tuple, holder: list | None, in_force: bool, visited: set, claims: list):
    """The claim after an adjudicated lead or visit (SPEC §8), as if its checks had produced ``verdict``.

    ``event`` is (is_lead, event index, phone, kam, order key, epoch seconds, lapse span in seconds);
    ``holder`` and ``claims`` are the pass's ([claim_id, phone, kam, lead index, start key, lapse or None]).
    Returns the holder the pass goes on with. A valid lead takes the claim at its reported_at, ending another
    KAM's claim at that moment (its lapse is set there); the same KAM's claim in force simply goes on. A valid
    visit counts and makes its KAM's claim in force permanent. A refusal takes nothing and leaves the holder."""
    is_lead, i, phone, kam, key, ts, span = event
    if verdict != VALID:
        return holder
    own = in_force and holder[2] == kam
    if not is_lead:
        visited.add(kam)
        if own:
            holder[5] = None
        return holder
    if own:
        return holder
    if in_force:
        holder[5] = ts  # the other KAM's claim ends when this lead takes it
    taken = [len(claims), phone, kam, i, key, ts + span if span else None]
    claims.append(taken)
    return taken


# The columns the pass decides; every other column of a lead or visit is its stored row's.
DECIDED = ("status", "claim_kam", "adjudication")


def merge_phones(fast: tuple[pa.Table, pa.Table, pa.Table], decided: tuple[pa.Table, pa.Table, pa.Table],
                 phones: list[str], order: list) -> tuple[pa.Table, pa.Table, pa.Table]:  # fmt: skip
    """The fast path's (leads, visits, claims) with the rows of ``phones`` replaced by ``decided`` (the reference
    pass over those phones only: each phone's pass is independent), rows in ``order``, claims renumbered in
    phone order as the reference pass numbers them."""
    value_set = pa.array(phones, pa.string())
    out = []
    for ours, theirs in zip(fast, decided, strict=True):
        mask = pc.fill_null(pc.is_in(ours["phone"], value_set=value_set), False)
        out.append((ours, theirs.select(ours.column_names).cast(ours.schema), mask))
    leads, visits = (_in_place(*parts, order) for parts in out[:2])
    ours, theirs, mask = out[2]
    claims = pa.concat_tables([ours.filter(pc.invert(mask)), theirs])
    phone = phone_order_key(claims["phone"])
    claims = claims.take(
        pc.sort_indices(
            pa.table({"phone": phone, "start_k": claims["start_k"]}),
            sort_keys=[("phone", "ascending"), ("start_k", "ascending")],
        )
    )
    claims = claims.set_column(0, "claim_id", pa.array(np.arange(claims.num_rows, dtype=np.int64)))
    return leads, visits, claims


def phone_order_key(phones: pa.ChunkedArray) -> pa.ChunkedArray:
    """A key that sorts like ``phones``: the phones as numbers when all are ASCII digits of one length (their
    order is then the text order, and sorting numbers is a few times cheaper), else the phones themselves."""
    if len(phones) == 0 or phones.null_count:
        return phones
    lengths = pc.min_max(pc.utf8_length(phones))
    if lengths["min"] != lengths["max"] or not pc.all(pc.ascii_is_decimal(phones)).as_py():
        return phones
    return pc.cast(phones, pa.int64())


def _in_place(ours: pa.Table, theirs: pa.Table, mask: pa.Array, order: list) -> pa.Table:
    """``ours`` (in ``order``) with its ``mask`` rows replaced by ``theirs`` (in ``order``), rows in ``order``.

    When ``theirs`` holds the very rows the mask picks (same order keys: the phones' rows are the same stored
    rows, decided again), each takes its row's position and only the DECIDED columns change: a few hundred
    thousand values put in place instead of re-sorting the million rows. Otherwise the rows are merged and
    sorted."""
    positions = pc.indices_nonzero(mask)
    keys = [name for name, _ in order]
    if len(positions) and ours.take(positions).select(keys).equals(theirs.select(keys)):
        for name in DECIDED:
            if name in ours.column_names:
                column = ours[name].combine_chunks()
                placed = pc.replace_with_mask(column, _array(mask), theirs[name].combine_chunks())
                ours = ours.set_column(ours.schema.get_field_index(name), name, placed)
        return ours
    merged = pa.concat_tables([ours.filter(pc.invert(mask)), theirs])
    return merged.take(pc.sort_indices(merged, sort_keys=order))


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def with_no_adjudication(table: pa.Table) -> pa.Table:
    """``table`` with an all-null adjudication column (rows no adjudication decides)."""
    return table.append_column("adjudication", pa.nulls(table.num_rows, pa.int64()))


ADJUDICATION_COLUMNS = list(RESULT_COLUMNS["adjudications"])


def frame(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The live adjudications (SPEC §7 sheet), by id: ref is the row's natural key as a director reads it
    (lead/visit: kam phone time, unit: kam date unit name, deal: property phone signed date), kam the row's KAM
    (a deal: the adjudicated KAM), orphaned true when the row is not stored."""
    rows = cur.execute(
        f"""
        with live as (
          select * from adjudications where {LIVE}
        ), matched as (
          -- hash joins on the natural keys (a correlated exists per adjudication is far slower)
          select a.adjudication_id from live a semi join leads l
            on a.kind = 'lead' and l.kam = a.kam and l.phone = a.phone and l.reported_at = a.row_at
          union all
          select a.adjudication_id from live a semi join visits v
            on a.kind = 'visit' and v.kam = a.kam and v.phone = a.phone and v.visited_at = a.row_at
          union all
          select a.adjudication_id from live a semi join units u
            on a.kind = 'unit' and u.kam = a.kam and u.date::date = a.row_date and u.unit_key = a.unit_key
          union all
          select a.adjudication_id from live a semi join deals d
            on a.kind = 'deal' and d.phone = a.phone and d.property = a.property and d.signed_date = a.row_date
        )
        select a.adjudication_id as id, a.kind,
               case when a.kind in ('lead', 'visit')
                      then concat_ws(' ', a.kam, a.phone,
                                     case when a.row_at_date_only then strftime(a.row_at, '%Y-%m-%d')
                                          else strftime(a.row_at, '%Y-%m-%d %H:%M:%S') end)
                    when a.kind = 'unit' then concat_ws(' ', a.kam, strftime(a.row_date, '%Y-%m-%d'), a.unit_name)
                    else concat_ws(' ', a.property, a.phone, strftime(a.row_date, '%Y-%m-%d')) end as ref,
               a.verdict, coalesce(a.verdict_kam, a.kam) as kam, a.reason, a.decided_by, a.decided_at,
               a.dispute_id as dispute,
               a.adjudication_id not in (select adjudication_id from matched) as orphaned
        from live a order by a.adjudication_id
        """
    ).df()
    rows["id"] = rows["id"].astype("int64")
    rows["dispute"] = rows["dispute"].astype("Int64")
    rows["orphaned"] = rows["orphaned"].astype(bool)
    return rows[ADJUDICATION_COLUMNS].reset_index(drop=True)
