-- one row per current deal (phone, property, signed_date): the latest by (data date, upload order, sheet, row) wins (SPEC §2)
with current_deals as (
  select * from latest_upload_wins('deals', ['phone', 'property', 'signed_date'])
)
select * from current_deals
