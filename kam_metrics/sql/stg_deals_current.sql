-- one row per current deal (phone, property, signed_date): where "the latest upload wins" for reads (SPEC §2)
with ranked as (
  select *,
         row_number() over (partition by phone, property, signed_date order by upload_id desc, row_no desc) as nth
  from deals
), current_deals as (
  select * exclude (nth) from ranked where nth = 1
)
select * from current_deals
