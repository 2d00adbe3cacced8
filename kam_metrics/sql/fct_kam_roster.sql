-- one row per kam: the current roster plus anyone named on a unit, lead or visit, with team, dates, first activity
with activity as (
  select kam, date::date as d from units
  union all select kam, reported_at::date from leads
  union all select kam, visited_at::date from visits
), active as (
  select kam, min(d) as first_activity from activity group by kam
), kams as (
  select kam, coalesce(r.team, '') as team, r.start_date::date as start_date, r.end_date::date as end_date,
         a.first_activity, r.kam is not null as on_roster
  from stg_roster_current r full join active a using (kam)
)
select * from kams order by team, kam
