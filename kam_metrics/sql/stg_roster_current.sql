-- one row per rostered kam: the latest by (data date, upload order, sheet, row) wins (SPEC §2)
with ranked as (
  select r.*,
         row_number() over (partition by r.kam
                            order by u.data_date desc nulls last, r.upload_id desc,
                                     r.sheet_no desc nulls last, r.row_no desc) as nth
  from roster r join uploads u using (upload_id)
), current_roster as (
  select * exclude (nth) from ranked where nth = 1
)
select * from current_roster
