-- one row per current deal (phone, property, signed_date): the latest by (data date, upload order, sheet, row) wins (SPEC §2)
with ranked as (
  select d.*,
         row_number() over (partition by d.phone, d.property, d.signed_date
                            order by u.data_date desc nulls last, d.upload_id desc,
                                     d.sheet_no desc nulls last, d.row_no desc) as nth
  from deals d join uploads u using (upload_id)
), current_deals as (
  select * exclude (nth) from ranked where nth = 1
)
select * from current_deals
