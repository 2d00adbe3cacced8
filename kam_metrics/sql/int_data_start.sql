-- one row: the first day of any unit, lead or visit (assessment starts in its week)
with firsts as (
  select min(date)::date as d from units
  union all select min(reported_at)::date from leads
  union all select min(visited_at)::date from visits
), data_start as (
  select min(d) as first_day from firsts
)
select * from data_start
