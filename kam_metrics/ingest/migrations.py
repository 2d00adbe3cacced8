"""Schema migrations: every store change is one numbered step, so a store of an earlier version upgrades in place.

Version 1 is the v1.0/v1.1 store (uploads, per-sheet counts, data rows, rejected rows, warnings), created by the
store's own DDL. Each later step only adds (tables, nullable columns, meta keys): nothing stored is rewritten,
so an interrupted upgrade is rolled back whole by the transaction it runs in and simply runs again.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

SCHEMA_VERSION = 6


def _v2_paid_months(cur: duckdb.DuckDBPyConnection) -> None:
    """SPEC v1.2: data dates and repeats (§2), rule versions (§6), adjudications and disputes (§8), closes (§9)."""
    # §2: an upload's data date, and which earlier upload a repeated file repeats; upload ids are never reused.
    cur.execute("alter table uploads add column if not exists data_date date")
    cur.execute("alter table uploads add column if not exists repeat_of integer")
    cur.execute("alter table upload_sheets add column if not exists superseded integer default 0")
    cur.execute(
        "insert or ignore into meta select 'last_upload_id', coalesce(max(upload_id), 0)::varchar from uploads"
    )
    # §6: every rules version ever stored. The versions in force are those not replaced; the base has no
    # effective_from. body is the version's keys as TOML (the base: all keys; a change: the keys it changes).
    cur.execute(
        """create table if not exists rule_versions (
             version_id integer primary key, effective_from date, body varchar not null,
             saved_at timestamp not null, saved_by varchar not null, replaced_at timestamp)"""
    )
    # §8: the director's decisions, naming their row by natural key (lead/visit: kam, phone, row_at; unit: kam, row_date,
    # unit_key; deal: phone, property, row_date = signed date). An adjudication replaced by a newer one for the same
    # row, or removed, keeps its row here with replaced_by / removed_at set: only live ones take effect.
    cur.execute(
        """create table if not exists adjudications (
             adjudication_id integer primary key, kind varchar not null, kam varchar, phone varchar,
             row_at timestamp, row_at_date_only boolean, row_date date, unit_key varchar, unit_name varchar, property varchar,
             verdict varchar not null, verdict_kam varchar, reason varchar not null,
             decided_by varchar not null, decided_at timestamp not null, dispute_id integer,
             replaced_by integer, removed_at timestamp, removed_by varchar, removed_reason varchar)"""
    )
    cur.execute(
        """create table if not exists disputes (
             dispute_id integer primary key, kind varchar not null, kam varchar, phone varchar,
             row_at timestamp, row_at_date_only boolean, row_date date, unit_key varchar, unit_name varchar, property varchar,
             asked_verdict varchar not null, asked_kam varchar, note varchar,
             filed_by varchar not null, filed_at timestamp not null, state varchar not null,
             decided_by varchar, decided_at timestamp, decision_reason varchar, adjudication_id integer,
             story varchar)"""
    )
    # §9: a close freezes its month's items; a reopen marks the close (its items are then ignored) and never
    # deletes it. An item is (kam, kind, ref) with its own amount; an adjustment frozen in the month carries
    # the closed month it corrects in source_month and the change (now − paid) in amount.
    cur.execute(
        """create table if not exists closes (
             close_id integer primary key, month varchar not null, closed_at timestamp not null,
             closed_by varchar not null, as_of date, implicit boolean not null default false,
             reopened_at timestamp, reopened_by varchar, reopen_reason varchar)"""
    )
    cur.execute(
        """create table if not exists close_items (
             close_id integer not null, kam varchar not null, kind varchar not null, ref varchar not null,
             source_month varchar not null, amount decimal(18, 2) not null, is_adjustment boolean not null,
             reason varchar)"""
    )


def _v3_close_upload_mark(cur: duckdb.DuckDBPyConnection) -> None:
    """§9: the newest upload id a close saw, so an adjustment's reason can name the rows uploaded after it
    (upload times are kept to the second, and an upload and a close may share one)."""
    cur.execute("alter table closes add column if not exists last_upload_id integer")


# §2: the dated columns an upload's data date is the latest calendar date of (roster dates do not count).
DATED_COLUMNS = [
    ("registrations", "registered_at"),
    ("units", "date"),
    ("leads", "reported_at"),
    ("visits", "visited_at"),
    ("deals", "signed_at"),
    ("deals", "cancelled_at"),
]


def _v4_data_dates(cur: duckdb.DuckDBPyConnection) -> None:
    """§2 v1.2: the sheet order of replaceable rows (within one upload the later sheet wins) and the data date
    of every upload stored before it existed, computed from its stored rows (schema 2 added the column empty)."""
    for table in ("deals", "roster"):
        cur.execute(f"alter table {table} add column if not exists sheet_no integer default 0")
    dated = " union all ".join(f'select upload_id, "{c}"::date as d from {t}' for t, c in DATED_COLUMNS)
    cur.execute(
        f"""
        update uploads set data_date = f.data_date
        from (
          select u.upload_id,
                 coalesce(o.d, max(o.d) over (order by u.upload_id
                                              rows between unbounded preceding and 1 preceding)) as data_date
          from uploads u left join (select upload_id, max(d) as d from ({dated}) group by upload_id) o
            using (upload_id)
        ) f
        where uploads.upload_id = f.upload_id and uploads.data_date is null
        """
    )


def _v5_access(cur: duckdb.DuckDBPyConnection) -> None:
    """§10 v1.2: accounts (login unique case-insensitively through login_key), the failed sign-ins a lockout counts,
    sign-in sessions (a token names one; ending it revokes it) and the append-only audit log. None of them is upload
    data: undo, clear and rebuild leave them alone."""
    cur.execute(
        """create table if not exists accounts (
             login_key varchar primary key, login varchar not null, name varchar not null default '',
             role varchar not null, team varchar, kam varchar, active boolean not null default true,
             password_hash varchar not null, created_at timestamp not null, created_by varchar not null)"""
    )
    cur.execute(
        "create table if not exists sign_in_failures (login_key varchar not null, failed_at timestamp not null)"
    )
    cur.execute(
        """create table if not exists sessions (
             session_id varchar primary key, login_key varchar not null, started_at timestamp not null,
             expires_at timestamp not null, ended_at timestamp)"""
    )
    cur.execute(
        """create table if not exists audit_log (
             entry_id bigint primary key, "at" timestamp not null, login varchar not null, action varchar not null,
             target varchar not null default '', details varchar not null default '{}')"""
    )


def _v6_undo_rows(cur: duckdb.DuckDBPyConnection) -> None:
    """Issue 14: what an undo needs to re-derive the later uploads without re-reading their files. ``seen_<kind>``:
    the accepted rows not stored (a duplicate, an unchanged roster or deal row), with the sheet's place;
    ``seen_rejected``: the rejected rows not stored again; ``seen_warnings``: the warnings of rows not stored;
    ``seen_sheets``: each stored sheet's place in its upload and the latest date of its accepted rows (§2's data
    date). No result reads them. Uploads stored before this step have none: meta ``undo_ready_from`` is the first
    upload id from which every upload has them (an undo below it replays the kept files, as before)."""
    from kam_metrics.contract.sheets import SHEET_KINDS
    from kam_metrics.ingest.schema import data_columns

    for kind in SHEET_KINDS:
        cols = ", ".join(f'"{n}" {t}' for n, t in data_columns(kind))
        cur.execute(
            f"create table if not exists seen_{kind.name} (upload_id integer not null, sheet varchar, "
            f"sheet_no integer, row_no bigint not null, {cols})"
        )
    cur.execute(
        """create table if not exists seen_rejected (
             upload_id integer, sheet varchar, kind varchar, row_no bigint, problems varchar, raw varchar)"""
    )
    cur.execute(
        """create table if not exists seen_warnings (
             upload_id integer, sheet varchar, kind varchar, row_no bigint, code varchar, "column" varchar,
             value varchar)"""
    )
    cur.execute(
        """create table if not exists seen_sheets (
             upload_id integer not null, sheet varchar, kind varchar, sheet_no integer, latest_date date)"""
    )
    cur.execute(
        """insert or replace into meta
           select 'undo_ready_from', (greatest(coalesce(max(u.upload_id), 0),
                                               coalesce((select max(value::integer) from meta
                                                         where key = 'last_upload_id'), 0)) + 1)::varchar
           from uploads u"""
    )


STEPS: list[tuple[int, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    (2, _v2_paid_months),
    (3, _v3_close_upload_mark),
    (4, _v4_data_dates),
    (5, _v5_access),
    (6, _v6_undo_rows),
]


def upgrade(cur: duckdb.DuckDBPyConnection, version: int) -> None:
    """Run every step above ``version`` on ``cur`` (the caller holds the transaction and records the version)."""
    for step, apply in STEPS:
        if version < step:
            apply(cur)
