"""The stored rows as they stood at the end of as_of: one cut, where the computation reads the stored tables."""

from __future__ import annotations

import datetime as dt

import duckdb

# Each view shadows the stored table of the same name for this cursor only (temp objects win name resolution and
# go with the cursor), so every model and query of one computation, SQL or Python, reads rows dated on or before
# as_of and nothing else needs to know (issue 10: one as_of for everything). Deals are cut by their signed date;
# a cancellation after as_of is not one yet: the deal reads as signed, without cancelled_at.
_VIEWS = """
create or replace temp view registrations as select * from {src}.registrations where registered_at < {cut};
create or replace temp view units as select * from {src}.units where "date" < {cut};
create or replace temp view leads as select * from {src}.leads where reported_at < {cut};
create or replace temp view visits as select * from {src}.visits where visited_at < {cut};
create or replace temp view deals as
  select * replace (
    case when status = 'cancelled' and cancelled_at >= {cut} then 'signed' else status end as status,
    case when cancelled_at >= {cut} then null else cancelled_at end as cancelled_at,
    case when cancelled_at >= {cut} then null else cancelled_at_date_only end as cancelled_at_date_only)
  from {src}.deals where signed_date <= date '{as_of}';
"""


def cut_at(cur: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Make ``cur`` read only the rows dated on or before ``as_of`` (timestamps before the next midnight)."""
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise TypeError(f"as_of must be a date, not {type(as_of).__name__}")
    catalog = cur.execute("select current_database()").fetchone()[0].replace('"', '""')
    cut = f"timestamp '{as_of + dt.timedelta(days=1):%Y-%m-%d} 00:00:00'"
    cur.execute(_VIEWS.format(src=f'"{catalog}".main', cut=cut, as_of=f"{as_of:%Y-%m-%d}"))
