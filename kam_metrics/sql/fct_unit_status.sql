-- one row per stored unit (kam, date, unit_key) with its SPEC §3 status: the first photographed unit of a key is valid
-- SPEC §8: an adjudicated unit has its verdict instead; one adjudicated valid blocks later units of its key, one
-- adjudicated to a refusal blocks nothing. Only live adjudications decide (replaced and removed ones stay stored).
with adjudicated as (
  select kam, row_date, unit_key, verdict, adjudication_id from adjudications
  where kind = 'unit' and replaced_by is null and removed_at is null
), u as (
  select units.*, a.verdict, a.adjudication_id as adjudication,
         row_number() over (order by units.date, units.upload_id, units.row_no) as seq
  from units left join adjudicated a
       on a.kam = units.kam and a.row_date = units.date::date and a.unit_key = units.unit_key
), blocking as (
  -- the units that are valid unless an earlier one of their key is: the first of them is valid
  select seq, row_number() over (partition by unit_key order by seq) as nth
  from u where coalesce(verdict = 'valid', photo is not null)
), decided as (
  select u.kam, u.date, u.unit_name,
         case when u.verdict is not null then u.verdict
              when u.photo is null then 'no_photo' when b.nth = 1 then 'valid' else 'duplicate_unit' end as status,
         u.date_date_only, u.photo, u.contact, u.unit_key, u.upload_id, u.sheet, u.row_no, u.adjudication, u.seq
  from u left join blocking b using (seq)
)
select * exclude (seq) from decided order by seq
