"""Customer attribution (判客, SPEC §3): lead, visit and unit statuses, claims, and deal lines with commissions."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.contract.codes import LEAD_STATUSES
from kam_metrics.contract.rules import Rules
from kam_metrics.contract.text import HONORIFICS

# Every row gets an order key: days since 1970 × 100000 + a slot within the day. A timed row's slot is
# its second of the day + 1; a date-only lead sorts before every row of its date (slot 0), a date-only
# visit or registration after every timed row (slot 86401), a deal after everything of its date (86402).
# This realises SPEC §3 "Before": on one date, when either value is date-only, the KAM gets the benefit
# of the doubt.
KEY_SQL = """(date_diff('day', date '1970-01-01', {ts}::date)::bigint * 100000
  + case when {date_only} then {slot} else (epoch({ts})::bigint % 86400) + 1 end)"""
LEAD_SLOT, LATE_SLOT, DEAL_SLOT = 0, 86401, 86402


def key_sql(ts: str, date_only: str, slot: int) -> str:
    return KEY_SQL.format(ts=ts, date_only=date_only, slot=slot)


CURRENT_VIEWS = """
create or replace temp view deals_current as
  select * from deals
  qualify row_number() over (partition by phone, property, signed_date order by upload_id desc, row_no desc) = 1;
create or replace temp view roster_current as
  select * from roster
  qualify row_number() over (partition by kam order by upload_id desc, row_no desc) = 1;
"""


def names_match(a: str | None, b: str | None) -> bool:
    """SPEC §3 visit check 5: equal, or a surname + honorific against a name starting with that surname."""
    if a is None or b is None or a == b:
        return True
    for x, y in ((a, b), (b, a)):
        for h in HONORIFICS:
            if x.endswith(h) and len(x) > len(h) and y.startswith(x[: -len(h)]):
                return True
    return False


@dataclass
class Attribution:
    leads: pd.DataFrame
    visits: pd.DataFrame
    units: pd.DataFrame
    claims: pd.DataFrame
    commissions: pd.DataFrame


EVENT_ORDER = "phone, k, etype, upload_id, row_no"
LEAD_COLUMNS = ["kam", "phone", "customer_name", "reported_at", "status", "reported_at_date_only", "claim_kam",
                "upload_id", "sheet", "row_no", "k"]  # fmt: skip
VISIT_COLUMNS = ["kam", "phone", "customer_name", "visited_at", "salesperson", "status", "visited_at_date_only",
                 "party_size", "claim_kam", "upload_id", "sheet", "row_no", "k"]  # fmt: skip
ROW_ORDER = [("k", "ascending"), ("upload_id", "ascending"), ("row_no", "ascending"), ("sheet", "ascending")]


def _events(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """Leads and visits of every phone in decision order, with the checks that need no claim state."""
    return cur.sql(f"{_events_sql()} order by {EVENT_ORDER}").to_arrow_table()


def _events_sql() -> str:
    """The query of _events, without its order (the decision order is EVENT_ORDER). Besides what the pass
    reads, each event carries the columns of the leads and visits frames (at_ts, date_only, sheet, party_size)."""
    lead_key = key_sql("reported_at", "reported_at_date_only", LEAD_SLOT)
    visit_key = key_sql("visited_at", "visited_at_date_only", LATE_SLOT)
    reg_key = key_sql("registered_at", "registered_at_date_only", LATE_SLOT)
    return f"""
        with reg as (
          select phone, min({reg_key}) as first_reg_key, min(registered_at::date) as first_reg_date
          from registrations group by phone
        ), l as (
          select upload_id, sheet, row_no, kam, phone, customer_name, reported_at as at_ts,
                 reported_at_date_only as date_only, {lead_key} as k
          from leads
        ), v as (
          select upload_id, sheet, row_no, kam, phone, customer_name, salesperson, visited_at as at_ts,
                 visited_at_date_only as date_only, party_size, {visit_key} as k
          from visits
        ), first_visit as (
          select phone, min(at_ts::date) as first_visit_date from v group by phone
        ), reported as (
          -- the KAM's first lead for the phone: a lead before the visit exists when it is before
          select l.kam, l.phone, min(l.k) as first_lead_k
          from l semi join (select distinct kam, phone from v) p using (kam, phone)
          group by l.kam, l.phone
        )
        select 0 as etype, l.upload_id, l.sheet, l.row_no, l.kam, l.phone, l.customer_name,
               null::varchar as salesperson, l.at_ts, l.date_only, null::integer as party_size,
               l.k, epoch(l.at_ts)::bigint as ts,
               coalesce(reg.first_reg_key <= l.k, false) as overlap,
               false as not_reported, false as not_first
        from l left join reg using (phone)
        union all
        select 1, v.upload_id, v.sheet, v.row_no, v.kam, v.phone, v.customer_name, v.salesperson,
               v.at_ts, v.date_only, v.party_size,
               v.k, epoch(v.at_ts)::bigint,
               false,
               not coalesce(r.first_lead_k < v.k, false),
               coalesce(reg.first_reg_date < v.at_ts::date, false) or fv.first_visit_date < v.at_ts::date
        from v left join reg using (phone) left join first_visit fv using (phone)
               left join reported r using (kam, phone)
        """


def _pylist(column: pa.ChunkedArray) -> list:
    """A column as a Python list (through NumPy for numbers and booleans without nulls: several times faster)."""
    if column.null_count == 0 and (pa.types.is_integer(column.type) or pa.types.is_boolean(column.type)):
        return column.to_numpy().tolist()
    return column.to_pylist()


def decide(events: pa.Table, protection_days: int) -> tuple[list, list, list, list]:
    """The one time-ordered pass over leads and visits, phone by phone, each seeing the claims as they stand.

    Returns per event (status, claim holder at that moment, claim id) and the list of claims
    [claim_id, phone, kam, lead event index, start key, lapse epoch or None].
    """
    etype, phone, kam, name, sales, ts, key, overlap, not_reported, not_first = (
        _pylist(events.column(c))
        for c in (
            "etype",
            "phone",
            "kam",
            "customer_name",
            "salesperson",
            "ts",
            "k",
            "overlap",
            "not_reported",
            "not_first",
        )
    )
    span = protection_days * 86400
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
        if etype[i] == 0:
            if overlap[i]:
                status[i] = "registry_overlap"
            elif in_force:
                status[i] = "duplicate_own" if holder[2] == kam[i] else "owned_by_other"
            else:
                status[i] = "valid"
                holder = [len(claims), phone[i], kam[i], i, key[i], ts[i] + span if span else None]
                claims.append(holder)
                holder_at[i], claim_at[i] = holder[2], holder[0]
        else:
            if not_reported[i]:
                status[i] = "not_reported"
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
                status[i] = "valid"
                visited.add(kam[i])
                holder[5] = None  # a valid visit before the lapse keeps the claim for ever
    return status, holder_at, claim_at, claims


def _names_match_sql(a: str, b: str) -> str:
    """names_match as a SQL expression (lengths, prefixes and suffixes count code points, as in Python)."""
    terms = [f"{a} is null", f"{b} is null", f"{a} = {b}"]
    for x, y in ((a, b), (b, a)):
        for h in HONORIFICS:
            terms.append(
                f"(suffix({x}, '{h}') and length({x}) > {len(h)} and starts_with({y}, left({x}, length({x}) - {len(h)})))"
            )
    return "(" + " or ".join(terms) + ")"


def _fast_tables(cur: duckdb.DuckDBPyConnection) -> tuple[pa.Table, pa.Table, pa.Table]:
    """decide() for protection_days = 0, vectorised: (leads, visits, claims) as attribute() builds them from
    the reference pass.

    Claims never lapse, so a phone's claim is won once, by its first lead in the decision order — if that lead
    is not a registry overlap. (Whether a lead overlaps depends only on its key, and keys grow along the order:
    once one lead of a phone overlaps, every later one does, so no lead after an overlap can win the claim.)
    Every later lead of the phone is a duplicate or another KAM's, unless it overlaps, and the claim holder
    holds the claim from that lead on. A visit that passes checks 1–3 is a duplicate when an earlier visit of the
    phone passed every check (that one is the phone's only valid visit: only the holder passes check 2).
    Claim ids number the claims in phone order, as decide() appends them. Rows with the same key, upload and row
    number (two sheets of one kind in one file) are ordered by sheet name.
    """
    lead_key = key_sql("reported_at", "reported_at_date_only", LEAD_SLOT)
    visit_key = key_sql("visited_at", "visited_at_date_only", LATE_SLOT)
    reg_key = key_sql("registered_at", "registered_at_date_only", LATE_SLOT)
    leads = cur.sql(
        f"""
        with reg as (
          select phone, min({reg_key}) as first_reg_key from registrations group by phone
        ), l as (select *, {lead_key} as k from leads)
        select l.kam, l.phone, l.customer_name, l.reported_at, l.reported_at_date_only, l.upload_id, l.sheet,
               l.row_no, l.k, coalesce(reg.first_reg_key <= l.k, false) as overlap
        from l left join reg using (phone)
        """
    ).to_arrow_table()
    # Sorting in Arrow and deciding with NumPy is several times cheaper than window functions here.
    leads = leads.take(pc.sort_indices(leads, sort_keys=ROW_ORDER))
    n = leads.num_rows
    first = _first_of_group(leads["phone"])  # per lead: the position of its phone's first lead
    overlap = leads["overlap"].to_numpy()
    claimed = ~overlap[first]  # the phone's first lead won the claim
    kam = leads["kam"]
    holder = kam.take(pa.array(first))
    own = pc.equal(kam, holder).to_numpy(zero_copy_only=False)
    is_first = first == np.arange(n)
    overlap_code, own_code, other_code, valid_code = (LEAD_STATUSES.index(c) for c in LEAD_STATUSES)
    code = np.where(
        overlap, overlap_code, np.where(is_first, valid_code, np.where(own, own_code, other_code))
    )
    code = code.astype(np.int8)
    status = pa.DictionaryArray.from_arrays(pa.array(code), pa.array(LEAD_STATUSES, pa.string())).cast(
        pa.string()
    )
    claim_kam = pc.if_else(pa.array(claimed), holder, pa.scalar(None, pa.string()))
    lead_table = pa.table(
        {
            "kam": kam,
            "phone": leads["phone"],
            "customer_name": leads["customer_name"],
            "reported_at": leads["reported_at"],
            "status": status,
            "reported_at_date_only": leads["reported_at_date_only"],
            "claim_kam": claim_kam,
            "upload_id": leads["upload_id"],
            "sheet": leads["sheet"],
            "row_no": leads["row_no"],
            "k": leads["k"],
        }
    )
    winners = leads.filter(pa.array(claimed & is_first)).select(["phone", "kam", "k", "customer_name"])
    winners = winners.take(pc.sort_indices(winners, sort_keys=[("phone", "ascending")]))
    claims = pa.table(
        {
            "claim_id": pa.array(np.arange(winners.num_rows, dtype=np.int64)),
            "phone": winners["phone"],
            "kam": winners["kam"],
            "start_k": winners["k"],
            "lapse_ts": pa.nulls(winners.num_rows, pa.int64()),
            "claim_name": winners["customer_name"],
        }
    )
    cur.register("kam_fast_claims", claims)
    try:
        visits = cur.sql(
            f"""
            with v as (
              select *, {visit_key} as k, visited_at::date as day from visits
            ), visit_phones as (
              select distinct phone from v
            ), reported as (
              select l.kam, l.phone, min({lead_key}) as first_lead_k
              from leads l semi join (select distinct kam, phone from v) p using (kam, phone)
              group by l.kam, l.phone
            ), reg_day as (
              select phone, min(registered_at::date) as first_reg_date
              from registrations semi join visit_phones using (phone) group by phone
            ), visit_day as (
              select phone, min(day) as first_visit_date from v group by phone
            ), claim as (
              select phone, kam as holder, start_k, claim_name from kam_fast_claims semi join visit_phones using (phone)
            ), checked as (
              select v.*, c.holder, c.claim_name,
                     not coalesce(r.first_lead_k < v.k, false) as not_reported,
                     coalesce(c.start_k <= v.k, false) as held,
                     coalesce(rd.first_reg_date < v.day, false) or vd.first_visit_date < v.day as not_first
              from v left join reported r using (kam, phone)
                     left join claim c using (phone)
                     left join reg_day rd using (phone)
                     left join visit_day vd using (phone)
            ), passed as (
              select *, not not_reported and held and holder = kam and not not_first as passes from checked
            ), named as (
              -- checks 1-3 passed: the name (check 5) matters
              select *, case when passes then {_names_match_sql("customer_name", "claim_name")} end as name_ok
              from passed
            ), counted as (
              select *, count(*) filter (where passes and name_ok and salesperson is not null) over (
                          partition by phone order by k, upload_id, row_no, sheet
                          rows between unbounded preceding and 1 preceding) as valid_before
              from named
            )
            select kam, phone, customer_name, visited_at, salesperson,
                   case when not_reported then 'not_reported'
                        when not held or holder <> kam then 'no_valid_claim'
                        when not_first then 'not_first_visit'
                        when valid_before > 0 then 'duplicate_visit'
                        when not name_ok then 'name_mismatch'
                        when salesperson is null then 'no_handover'
                        else 'valid' end as status,
                   visited_at_date_only, party_size, case when held then holder end as claim_kam,
                   upload_id, sheet, row_no, k
            from counted
            order by k, upload_id, row_no, sheet
            """
        ).to_arrow_table()
    finally:
        cur.unregister("kam_fast_claims")
    return lead_table, visits, claims.drop_columns(["claim_name"])


def _first_of_group(values: pa.ChunkedArray) -> np.ndarray:
    """For each position, the first position holding the same value (stored phones are 11-digit numbers)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    try:
        keys = pc.cast(values, pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        keys = pc.dictionary_encode(values).combine_chunks().indices.to_numpy(zero_copy_only=False)
    codes, _ = pd.factorize(keys)  # numbered in order of first appearance
    running = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    new[1:] = running[1:] > running[:-1]
    return np.flatnonzero(new)[codes]


def _decide_pass(cur: duckdb.DuckDBPyConnection, protection_days: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(leads, visits, claims) from the reference pass (decide), for any protection_days."""
    events = _events(cur)
    status, holder_at, claim_at, claims = decide(events, protection_days)
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


def attribute(cur: duckdb.DuckDBPyConnection, rules: Rules, fast: bool | None = None) -> Attribution:
    """Statuses of every lead, visit and unit, the claims, and the commission lines of every current deal.

    With protection_days = 0 (claims never lapse) lead and visit statuses come from DuckDB queries
    (_fast_tables); otherwise, or with ``fast=False``, from the time-ordered reference pass (decide). Both give
    the same results when claims never lapse (tests/test_attribution_fastpath.py)."""
    cur.execute(CURRENT_VIEWS)
    if fast is None:
        fast = rules.protection_days == 0
    if fast and rules.protection_days != 0:
        raise ValueError("the fast attribution path needs protection_days = 0")
    if fast:
        lead_table, visit_table, claim_table = _fast_tables(cur)
    else:
        lead_table, visit_table, claim_table = _decide_pass(cur, rules.protection_days)
    # what the commission lines read of the decided visits: the valid ones and their claim holders
    valid_visits = visit_table.filter(pc.equal(visit_table["status"], "valid")).select(
        ["phone", "claim_kam", "k"]
    )
    cur.register("kam_valid_visits", valid_visits)
    cur.register("kam_claims", claim_table)
    try:
        leads = lead_table.to_pandas()
        visits = visit_table.to_pandas()
        units = (
            cur.sql(
                """
            with u as (
              select *, row_number() over (order by date, upload_id, row_no) as seq from units
            ), photographed as (
              select *, row_number() over (partition by unit_key order by seq) as nth
              from u where photo is not null
            )
            select u.kam, u.date, u.unit_name, case when u.photo is null then 'no_photo'
                        when p.nth = 1 then 'valid' else 'duplicate_unit' end as status,
                   u.date_date_only, u.photo, u.contact, u.unit_key, u.upload_id, u.sheet, u.row_no
            from u left join photographed p using (seq)
            order by u.seq
            """
            )
            .to_arrow_table()
            .to_pandas()
        )
        commissions = _commission_lines(cur, rules)
        claims_df = cur.sql("select * from kam_claims").to_arrow_table().to_pandas()
    finally:
        cur.unregister("kam_valid_visits")
        cur.unregister("kam_claims")
    return Attribution(leads=leads, visits=visits, units=units, claims=claims_df, commissions=commissions)


def _commission_lines(cur: duckdb.DuckDBPyConnection, rules: Rules) -> pd.DataFrame:
    c = rules.commission
    deal_key = f"(date_diff('day', date '1970-01-01', signed_date)::bigint * 100000 + {DEAL_SLOT})"
    lead_key = key_sql("reported_at", "reported_at_date_only", LEAD_SLOT)
    reg_key = key_sql("registered_at", "registered_at_date_only", LATE_SLOT)
    share_from_salesperson = c.visit_share_source == "salesperson"
    # a clawback happens on its cancellation day (the signed day when no date was given), after its deals
    clawback_key = (
        "date_diff('day', date '1970-01-01', coalesce(cancelled_at, signed_at)::date)::bigint * 100000"
        f" + {DEAL_SLOT}"
    )
    sql = f"""
        with d as (
          select *, {deal_key} as dk, epoch(signed_date::timestamp)::bigint + 86399 as dts
          from deals_current
        ), holder as (
          select d.upload_id, d.row_no, c.kam
          from d join kam_claims c on c.phone = d.phone and c.start_k < d.dk
               and (c.lapse_ts is null or d.dts < c.lapse_ts)
          qualify row_number() over (partition by d.upload_id, d.row_no order by c.start_k desc) = 1
        ), reg as (
          select phone, min({reg_key}) as first_reg_key from registrations group by phone
        ), lead_facts as (
          select d.upload_id, d.row_no, count(l.phone) as leads_before,
                 count(l.phone) filter (where r.first_reg_key <= {lead_key}) as overlaps_before
          from d left join leads l on l.phone = d.phone and {lead_key} < d.dk
                 left join reg r on r.phone = l.phone
          group by all
        ), typed as (
          select d.*, h.kam,
                 case when h.kam is null then 'unattributed'
                      when exists (select 1 from kam_valid_visits v
                                   where v.phone = d.phone and v.claim_kam = h.kam and v.k < d.dk)
                        then 'visit_deal'
                      else 'lead_deal' end as type,
                 case when h.kam is not null then ''
                      when f.leads_before = 0 then 'no_lead'
                      when f.overlaps_before = f.leads_before then 'registry_overlap'
                      else 'claim_lapsed' end as reason
          from d left join holder h using (upload_id, row_no)
                 left join lead_facts f using (upload_id, row_no)
        ), priced as (
          select *,
                 case type when 'visit_deal'
                        then round(salesperson_commission * {c.visit_share}::decimal(18, 10), 2)::decimal(18, 2)
                      when 'lead_deal' then {c.lead_deal_fixed}::decimal(18, 2)
                      else 0::decimal(18, 2) end as kam_commission
          from typed
        ), lines as (
          select kam, phone, property, signed_at, salesperson, salesperson_commission, type, reason,
                 kam_commission,
                 (salesperson_commission - case when type = 'visit_deal' and {share_from_salesperson}
                                                then kam_commission else 0 end)::decimal(18, 2) as salesperson_net,
                 'commission' as line, strftime(signed_date, '%Y-%m') as month,
                 status, cancelled_at, signed_date, customer_name, amount, upload_id, sheet, row_no, dk as k
          from priced
        )
        select * from lines
        union all
        select kam, phone, property, signed_at, salesperson, salesperson_commission, type, reason,
               -kam_commission, -salesperson_net, 'clawback',
               strftime(coalesce(cancelled_at, signed_at), '%Y-%m'),
               status, cancelled_at, signed_date, customer_name, amount, upload_id, sheet, row_no,
               {clawback_key}
        from lines where status = 'cancelled' and type <> 'unattributed'
        order by signed_date, phone, property, line desc
    """
    return cur.sql(sql).to_arrow_table().to_pandas()
