-- no rows: the order keys of SPEC §3 and the name match of visit check 5, as macros every model may call
-- Every row gets an order key: days since 1970 × 100000 + a slot within the day. A timed row's slot is its
-- second of the day + 1; a date-only lead sorts before every row of its date (slot 0), a date-only visit or
-- registration after every timed row (slot 86401), a deal after everything of its date (86402). This realises
-- SPEC §3 "Before": on one date, when either value is date-only, the KAM gets the benefit of the doubt.
create or replace temp macro order_key(at_ts, is_date_only, slot) as
  date_diff('day', date '1970-01-01', at_ts::date)::bigint * 100000
  + case when is_date_only then slot else (epoch(at_ts)::bigint % 86400) + 1 end;
create or replace temp macro lead_key(at_ts, is_date_only) as order_key(at_ts, is_date_only, 0);
create or replace temp macro late_key(at_ts, is_date_only) as order_key(at_ts, is_date_only, 86401);
create or replace temp macro deal_key(day) as date_diff('day', date '1970-01-01', day::date)::bigint * 100000 + 86402;
-- SPEC §3 visit check 5: equal, or a surname + honorific against a name starting with that surname (lengths,
-- prefixes and suffixes count code points, as in Python's names_match)
create or replace temp macro names_match(a, b, honorifics) as
  a is null or b is null or a = b
  or len(list_filter(honorifics, lambda h: suffix(a, h) and length(a) > length(h)
                                          and starts_with(b, left(a, length(a) - length(h))))) > 0
  or len(list_filter(honorifics, lambda h: suffix(b, h) and length(b) > length(h)
                                          and starts_with(a, left(b, length(b) - length(h))))) > 0;
-- SPEC §3 visit check 1b (防截客): with M = minutes > 0, the visit needs a lead of its KAM at least M minutes
-- earlier. A lead counts when both are timed and reported_at <= visited_at - M minutes, or when it is on an
-- earlier date and either is date-only (on the visit's own date a date-only side never counts). The inputs are
-- the KAM's earliest timed lead for the phone and the earliest date of its date-only leads (null: none).
create or replace temp macro reported_too_late(minutes, visited_at, visit_date_only, first_timed_at, first_date_only_day) as
  minutes > 0 and not coalesce(
    case when visit_date_only then least(first_timed_at::date, first_date_only_day) < visited_at::date
         else first_timed_at <= visited_at - to_minutes(minutes::bigint) or first_date_only_day < visited_at::date end,
    false);
-- SPEC §2 "latest upload wins": of the rows of ``rows`` (a stored table's name) sharing the columns
-- ``natural_key``, the one of the latest data date, then upload, sheet and row; its columns as stored.
create or replace temp macro latest_upload_wins(rows, natural_key) as table
  select * exclude (nth) from (
    select r.*,
           row_number() over (partition by row(*columns(natural_key))
                              order by u.data_date desc nulls last, r.upload_id desc,
                                       r.sheet_no desc nulls last, r.row_no desc) as nth
    from query_table(rows) r join uploads u using (upload_id)
  ) where nth = 1;
