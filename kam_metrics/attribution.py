"""Customer attribution (判客, SPEC §3): lead, visit and unit statuses, claims, and deal lines with commissions."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from kam_metrics.rules import Rules
from kam_metrics.schema import HONORIFICS

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


def _events(cur: duckdb.DuckDBPyConnection) -> pa.Table:
    """Leads and visits of every phone in decision order, with the checks that need no claim state."""
    lead_key = key_sql("reported_at", "reported_at_date_only", LEAD_SLOT)
    visit_key = key_sql("visited_at", "visited_at_date_only", LATE_SLOT)
    reg_key = key_sql("registered_at", "registered_at_date_only", LATE_SLOT)
    return cur.sql(
        f"""
        with reg as (
          select phone, min({reg_key}) as first_reg_key, min(registered_at::date) as first_reg_date
          from registrations group by phone
        ), l as (
          select upload_id, row_no, kam, phone, customer_name, reported_at as at_ts, {lead_key} as k
          from leads
        ), v as (
          select upload_id, row_no, kam, phone, customer_name, salesperson, visited_at as at_ts, {visit_key} as k
          from visits
        ), first_visit as (
          select phone, min(at_ts::date) as first_visit_date from v group by phone
        )
        select 0 as etype, l.upload_id, l.row_no, l.kam, l.phone, l.customer_name, null::varchar as salesperson,
               l.k, epoch(l.at_ts)::bigint as ts,
               coalesce(reg.first_reg_key <= l.k, false) as overlap,
               false as not_reported, false as not_first
        from l left join reg using (phone)
        union all
        select 1, v.upload_id, v.row_no, v.kam, v.phone, v.customer_name, v.salesperson,
               v.k, epoch(v.at_ts)::bigint,
               false,
               not exists (select 1 from l where l.kam = v.kam and l.phone = v.phone and l.k < v.k),
               coalesce(reg.first_reg_date < v.at_ts::date, false) or fv.first_visit_date < v.at_ts::date
        from v left join reg using (phone) left join first_visit fv using (phone)
        order by phone, k, etype, upload_id, row_no
        """
    ).to_arrow_table()


def decide(events: pa.Table, protection_days: int) -> tuple[list, list, list, list]:
    """The one time-ordered pass over leads and visits, phone by phone, each seeing the claims as they stand.

    Returns per event (status, claim holder at that moment, claim id) and the list of claims
    [claim_id, phone, kam, lead event index, start key, lapse epoch or None].
    """
    cols = {name: events.column(name).to_pylist() for name in events.column_names}
    etype, phone, kam, name = cols["etype"], cols["phone"], cols["kam"], cols["customer_name"]
    sales, ts, key = cols["salesperson"], cols["ts"], cols["k"]
    overlap, not_reported, not_first = cols["overlap"], cols["not_reported"], cols["not_first"]
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


def attribute(cur: duckdb.DuckDBPyConnection, rules: Rules) -> Attribution:
    """Statuses of every lead, visit and unit, the claims, and the commission lines of every current deal."""
    cur.execute(CURRENT_VIEWS)
    events = _events(cur)
    status, holder_at, claim_at, claims = decide(events, rules.protection_days)
    decided = pa.table(
        {
            "etype": events.column("etype"),
            "upload_id": events.column("upload_id"),
            "row_no": events.column("row_no"),
            "phone": events.column("phone"),
            "k": events.column("k"),
            "status": pa.array(status, pa.string()),
            "claim_kam": pa.array(holder_at, pa.string()),
            "claim_id": pa.array(claim_at, pa.int64()),
        }
    )
    claim_table = pa.table(
        {
            "claim_id": pa.array([c[0] for c in claims], pa.int64()),
            "phone": pa.array([c[1] for c in claims], pa.string()),
            "kam": pa.array([c[2] for c in claims], pa.string()),
            "start_k": pa.array([c[4] for c in claims], pa.int64()),
            "lapse_ts": pa.array([c[5] for c in claims], pa.int64()),
        }
    )
    cur.register("kam_decided", decided)
    cur.register("kam_claims", claim_table)
    try:
        leads = (
            cur.sql(
                """
            select l.kam, l.phone, l.customer_name, l.reported_at, d.status, l.reported_at_date_only,
                   d.claim_kam, l.upload_id, l.sheet, l.row_no, d.k
            from leads l join kam_decided d on d.etype = 0 and d.upload_id = l.upload_id and d.row_no = l.row_no
              and d.phone = l.phone
            order by d.k, l.upload_id, l.row_no
            """
            )
            .to_arrow_table()
            .to_pandas()
        )
        visits = (
            cur.sql(
                """
            select v.kam, v.phone, v.customer_name, v.visited_at, v.salesperson, d.status, v.visited_at_date_only,
                   v.party_size, d.claim_kam, v.upload_id, v.sheet, v.row_no, d.k
            from visits v join kam_decided d on d.etype = 1 and d.upload_id = v.upload_id and d.row_no = v.row_no
              and d.phone = v.phone
            order by d.k, v.upload_id, v.row_no
            """
            )
            .to_arrow_table()
            .to_pandas()
        )
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
        cur.unregister("kam_decided")
        cur.unregister("kam_claims")
    return Attribution(leads=leads, visits=visits, units=units, claims=claims_df, commissions=commissions)


def _commission_lines(cur: duckdb.DuckDBPyConnection, rules: Rules) -> pd.DataFrame:
    c = rules.commission
    deal_key = f"(date_diff('day', date '1970-01-01', signed_date)::bigint * 100000 + {DEAL_SLOT})"
    lead_key = key_sql("reported_at", "reported_at_date_only", LEAD_SLOT)
    reg_key = key_sql("registered_at", "registered_at_date_only", LATE_SLOT)
    share_from_salesperson = c.visit_share_source == "salesperson"
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
                      when exists (select 1 from kam_decided v
                                   where v.etype = 1 and v.status = 'valid' and v.phone = d.phone
                                     and v.claim_kam = h.kam and v.k < d.dk) then 'visit_deal'
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
                 status, cancelled_at, signed_date, customer_name, amount, upload_id, sheet, row_no
          from priced
        )
        select * from lines
        union all
        select kam, phone, property, signed_at, salesperson, salesperson_commission, type, reason,
               -kam_commission, -salesperson_net, 'clawback',
               strftime(coalesce(cancelled_at, signed_at), '%Y-%m'),
               status, cancelled_at, signed_date, customer_name, amount, upload_id, sheet, row_no
        from lines where status = 'cancelled' and type <> 'unattributed'
        order by signed_date, phone, property, line desc
    """
    return cur.sql(sql).to_arrow_table().to_pandas()
