-- one row per phone whose claim may lapse: a lead, visit or deal at or after its first lead + $span seconds
-- A claim starts at a lead and lapses $span seconds later (SPEC §3 protection_days), so on any other phone every
-- claim is in force at every row of the phone and the phone is decided as when claims never lapse.
with moments as (
  select phone, epoch(reported_at)::bigint as ts, true as is_lead from leads
  union all select phone, epoch(visited_at)::bigint, false from visits
  -- the moment a deal looks for its claim holder: 23:59:59 of its signed date, as the commission lines look
  union all select phone, epoch(signed_date::timestamp)::bigint + 86399, false from stg_deals_current
), spans as (
  select phone, min(ts) filter (where is_lead) as first_lead_ts, max(ts) as last_ts from moments group by phone
), lapsing as (
  select phone from spans where last_ts >= first_lead_ts + $span
)
select * from lapsing order by phone
