-- one row per stored lead (etype 0) and visit (etype 1), with the checks that need no claim state, in decision order
-- Input registered by the caller: kam_rule_days (from_day, min_lead_minutes, …: one row per rule version, SPEC §6).
-- Parameters: $check_lead_time (some version has min_lead_minutes > 0: without it check 1b costs nothing), $some_phones
-- (only the phones of the registered table kam_pass_phones (phone); every phone when false). Every check reads the
-- phone's own rows only, so a phone's events are the same with or without the others.
with l as (
  select upload_id, sheet, row_no, kam, phone, customer_name, reported_at as at_ts,
         reported_at_date_only as date_only, lead_key(reported_at, reported_at_date_only) as k
  from leads where not $some_phones or phone in (select phone from kam_pass_phones)
), v as (
  select upload_id, sheet, row_no, kam, phone, customer_name, salesperson, visited_at as at_ts,
         visited_at_date_only as date_only, party_size, late_key(visited_at, visited_at_date_only) as k,
         r.min_lead_minutes
  from visits vs asof left join kam_rule_days r on vs.visited_at::date >= r.from_day
  where not $some_phones or vs.phone in (select phone from kam_pass_phones)
), reg as (
  select * from int_first_registration where not $some_phones or phone in (select phone from kam_pass_phones)
), first_visit as (
  select phone, min(at_ts::date) as first_visit_date from v group by phone
), reported as (
  -- the KAM's first lead for the phone: a lead before the visit exists when it is before
  select l.kam, l.phone, min(l.k) as first_lead_k,
         min(l.at_ts) filter (where $check_lead_time and not l.date_only) as first_timed_at,
         min(l.at_ts::date) filter (where $check_lead_time and l.date_only) as first_date_only_day
  from l semi join (select distinct kam, phone from v) p using (kam, phone)
  group by l.kam, l.phone
), lead_events as (
  select 0 as etype, l.upload_id, l.sheet, l.row_no, l.kam, l.phone, l.customer_name,
         null::varchar as salesperson, l.at_ts, l.date_only, null::integer as party_size,
         l.k, epoch(l.at_ts)::bigint as ts,
         coalesce(reg.first_reg_key <= l.k, false) as overlap,
         false as not_reported, false as too_late, false as not_first
  from l left join reg using (phone)
), visit_events as (
  select 1 as etype, v.upload_id, v.sheet, v.row_no, v.kam, v.phone, v.customer_name, v.salesperson,
         v.at_ts, v.date_only, v.party_size,
         v.k, epoch(v.at_ts)::bigint as ts,
         false as overlap,
         not coalesce(r.first_lead_k < v.k, false) as not_reported,
         $check_lead_time and reported_too_late(v.min_lead_minutes, v.at_ts, v.date_only, r.first_timed_at, r.first_date_only_day)
           as too_late,
         coalesce(reg.first_reg_date < v.at_ts::date, false) or fv.first_visit_date < v.at_ts::date as not_first
  from v left join reg using (phone) left join first_visit fv using (phone)
         left join reported r using (kam, phone)
), events as (
  select * from lead_events union all select * from visit_events
)
select * from events order by phone, k, etype, upload_id, row_no
