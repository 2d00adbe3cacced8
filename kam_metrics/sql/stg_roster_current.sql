-- one row per rostered kam: the latest by (data date, upload order, sheet, row) wins (SPEC §2)
with current_roster as (
  select * from latest_upload_wins('roster', ['kam'])
)
select * from current_roster
