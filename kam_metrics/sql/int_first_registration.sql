-- one row per registered phone: its first registration's order key and date
with firsts as (
  select phone, min(k) as first_reg_key, min(registered_at::date) as first_reg_date
  from stg_registrations group by phone
)
select * from firsts
