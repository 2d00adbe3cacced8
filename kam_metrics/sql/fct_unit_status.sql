-- one row per stored unit (kam, date, unit_key) with its SPEC §3 status: the first photographed unit of a key is valid
with u as (
  select *, row_number() over (order by date, upload_id, row_no) as seq from units
), photographed as (
  select *, row_number() over (partition by unit_key order by seq) as nth
  from u where photo is not null
), decided as (
  select u.kam, u.date, u.unit_name,
         case when u.photo is null then 'no_photo' when p.nth = 1 then 'valid' else 'duplicate_unit' end as status,
         u.date_date_only, u.photo, u.contact, u.unit_key, u.upload_id, u.sheet, u.row_no, u.seq
  from u left join photographed p using (seq)
)
select * exclude (seq) from decided order by seq
