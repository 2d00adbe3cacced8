-- one row per rostered kam: where "the latest upload wins" for reads of the roster (SPEC §2)
with ranked as (
  select *, row_number() over (partition by kam order by upload_id desc, row_no desc) as nth
  from roster
), current_roster as (
  select * exclude (nth) from ranked where nth = 1
)
select * from current_roster
