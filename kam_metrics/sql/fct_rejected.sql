-- one row per rejected source row (upload_id, sheet, row), with its file name
with rejected_rows as (
  select u.file_name as file, r.sheet, r.row_no as row, r.problems, r.raw, r.kind, r.upload_id
  from rejected r join uploads u using (upload_id)
)
select * from rejected_rows order by upload_id, sheet, row
