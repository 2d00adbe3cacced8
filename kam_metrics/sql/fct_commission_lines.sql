-- one row per current deal (line 'commission') plus one per cancelled attributed deal (line 'clawback'), SPEC §3/§5
-- Inputs registered by the caller: kam_claims (claim_id, phone, kam, start_k, lapse_ts) and kam_valid_visits
-- (phone, claim_kam, k), and kam_rule_days (from_day, visit_share, lead_deal_fixed, share_from_salesperson, …: one
-- row per rule version, SPEC §6): a deal is priced by the commission keys in force on its signed date.
with d as (
  select dc.*, deal_key(dc.signed_date) as dk, epoch(dc.signed_date::timestamp)::bigint + 86399 as dts,
         r.visit_share, r.lead_deal_fixed, r.share_from_salesperson
  from stg_deals_current dc asof left join kam_rule_days r on dc.signed_date >= r.from_day
), holder as (
  -- the claim in force at the deal (23:59:59 of its signed date): the latest that started before it
  select d.upload_id, d.row_no, c.kam
  from d join kam_claims c on c.phone = d.phone and c.start_k < d.dk
       and (c.lapse_ts is null or d.dts < c.lapse_ts)
  qualify row_number() over (partition by d.upload_id, d.row_no order by c.start_k desc) = 1
), lead_facts as (
  select d.upload_id, d.row_no, count(l.phone) as leads_before,
         count(l.phone) filter (where r.first_reg_key <= lead_key(l.reported_at, l.reported_at_date_only))
           as overlaps_before
  from d left join leads l on l.phone = d.phone and lead_key(l.reported_at, l.reported_at_date_only) < d.dk
         left join int_first_registration r on r.phone = l.phone
  group by all
), typed as (
  select d.*, h.kam,
         case when h.kam is null then 'unattributed'
              when exists (select 1 from kam_valid_visits v
                           where v.phone = d.phone and v.claim_kam = h.kam and v.k < d.dk)
                then 'visit_deal'
              else 'lead_deal' end as type,
         case when h.kam is not null then ''
              when f.leads_before = 0 then 'no_lead'
              when f.overlaps_before = f.leads_before then 'registry_overlap'
              else 'claim_lapsed' end as reason
  from d left join holder h using (upload_id, row_no)
         left join lead_facts f using (upload_id, row_no)
), priced as (
  select *,
         case type when 'visit_deal'
                then round(salesperson_commission * visit_share::decimal(18, 10), 2)::decimal(18, 2)
              when 'lead_deal' then lead_deal_fixed::decimal(18, 2)
              else 0::decimal(18, 2) end as kam_commission
  from typed
), lines as (
  select kam, phone, property, signed_at, salesperson, salesperson_commission, type, reason,
         kam_commission,
         (salesperson_commission - case when type = 'visit_deal' and share_from_salesperson
                                        then kam_commission else 0 end)::decimal(18, 2) as salesperson_net,
         'commission' as line, strftime(signed_date, '%Y-%m') as month,
         status, cancelled_at, signed_date, customer_name, amount, upload_id, sheet, row_no, dk as k
  from priced
), clawbacks as (
  -- a clawback happens on its cancellation day (the signed day when no date was given), after its deal
  select kam, phone, property, signed_at, salesperson, salesperson_commission, type, reason,
         -kam_commission as kam_commission, -salesperson_net as salesperson_net, 'clawback' as line,
         strftime(coalesce(cancelled_at, signed_at), '%Y-%m') as month,
         status, cancelled_at, signed_date, customer_name, amount, upload_id, sheet, row_no,
         deal_key(coalesce(cancelled_at, signed_at)) as k
  from lines where status = 'cancelled' and type <> 'unattributed'
), all_lines as (
  select * from lines union all select * from clawbacks
)
select * from all_lines order by signed_date, phone, property, line desc
