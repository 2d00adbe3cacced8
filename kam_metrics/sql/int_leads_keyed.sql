-- one row per stored lead (kam, phone, reported_at), with its order key and whether a registration is before it
with keyed as (
  select *, lead_key(reported_at, reported_at_date_only) as k from leads
), checked as (
  select l.kam, l.phone, l.customer_name, l.reported_at, l.reported_at_date_only, l.upload_id, l.sheet,
         l.row_no, l.k, epoch(l.reported_at)::bigint as ts, coalesce(reg.first_reg_key <= l.k, false) as overlap
  from keyed l left join int_first_registration reg using (phone)
)
select * from checked
