-- one row per stored visit (kam, phone, visited_at) with its SPEC §3 status, when claims never lapse
-- Inputs registered by the caller: kam_fast_claims (claim_id, phone, kam, start_k, lapse_ts, claim_name) and
-- kam_rule_days (from_day, min_lead_minutes, …: one row per rule version, SPEC §6). Parameters: $honorifics (check 5),
-- $check_lead_time (some version has min_lead_minutes > 0: without it check 1b costs nothing).
with v as (
  select vs.*, late_key(vs.visited_at, vs.visited_at_date_only) as k, vs.visited_at::date as day,
         r.min_lead_minutes
  from visits vs asof left join kam_rule_days r on vs.visited_at::date >= r.from_day
), visit_phones as (
  select distinct phone from v
), reported as (
  select l.kam, l.phone, min(lead_key(l.reported_at, l.reported_at_date_only)) as first_lead_k,
         min(l.reported_at) filter (where $check_lead_time and not l.reported_at_date_only) as first_timed_at,
         min(l.reported_at::date) filter (where $check_lead_time and l.reported_at_date_only) as first_date_only_day
  from leads l semi join (select distinct kam, phone from v) p using (kam, phone)
  group by l.kam, l.phone
), reg_day as (
  select phone, first_reg_date from int_first_registration semi join visit_phones using (phone)
), visit_day as (
  select phone, min(day) as first_visit_date from v group by phone
), claim as (
  select phone, kam as holder, start_k, claim_name from kam_fast_claims semi join visit_phones using (phone)
), checked as (
  select v.*, c.holder, c.claim_name,
         not coalesce(r.first_lead_k < v.k, false) as not_reported,
         $check_lead_time and reported_too_late(v.min_lead_minutes, v.visited_at, v.visited_at_date_only, r.first_timed_at,
                           r.first_date_only_day) as too_late,
         coalesce(c.start_k <= v.k, false) as held,
         coalesce(rd.first_reg_date < v.day, false) or vd.first_visit_date < v.day as not_first
  from v left join reported r using (kam, phone)
         left join claim c using (phone)
         left join reg_day rd using (phone)
         left join visit_day vd using (phone)
), passed as (
  select *, not not_reported and not too_late and held and holder = kam and not not_first as passes from checked
), named as (
  -- checks 1-3 passed: the name (check 5) matters
  select *, case when passes then names_match(customer_name, claim_name, $honorifics) end as name_ok
  from passed
), counted as (
  select *, count(*) filter (where passes and name_ok and salesperson is not null) over (
              partition by phone order by k, upload_id, row_no, sheet
              rows between unbounded preceding and 1 preceding) as valid_before
  from named
), decided as (
  select kam, phone, customer_name, visited_at, salesperson,
         case when not_reported then 'not_reported'
              when too_late then 'reported_too_late'
              when not held or holder <> kam then 'no_valid_claim'
              when not_first then 'not_first_visit'
              when valid_before > 0 then 'duplicate_visit'
              when not name_ok then 'name_mismatch'
              when salesperson is null then 'no_handover'
              else 'valid' end as status,
         visited_at_date_only, party_size, case when held then holder end as claim_kam,
         upload_id, sheet, row_no, k
  from counted
)
select * from decided order by k, upload_id, row_no, sheet
