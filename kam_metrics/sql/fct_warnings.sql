-- one row per warning on a stored row (upload_id, sheet, row, column, code), with its file name
with warning_rows as (
  select u.file_name as file, w.sheet, w.row_no as row, w."column", w.code, w.value, w.kind, w.upload_id
  from warnings w join uploads u using (upload_id)
)
select * from warning_rows order by upload_id, sheet, row
