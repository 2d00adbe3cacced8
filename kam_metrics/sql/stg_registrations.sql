-- one row per stored registration (phone, registered_at), with its SPEC §3 order key k
with keyed as (
  select *, late_key(registered_at, registered_at_date_only) as k from registrations
)
select * from keyed order by registered_at, upload_id, row_no
