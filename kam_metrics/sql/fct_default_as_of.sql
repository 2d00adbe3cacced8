-- one row: the default as_of, the latest date among registrations, units, leads, visits, deals' signed and cancelled dates
with latest as (
  select max(registered_at)::date as d from registrations
  union all select max(date)::date from units
  union all select max(reported_at)::date from leads
  union all select max(visited_at)::date from visits
  union all select max(signed_at)::date from stg_deals_current
  union all select max(cancelled_at)::date from stg_deals_current
), as_of as (
  select max(d) as as_of from latest
)
select * from as_of
