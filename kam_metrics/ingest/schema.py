"""The store's data tables (one per sheet kind, columns from SPEC §1's fields) and what an upload reports back:
its per-sheet counts and the rows it rejected or warned about."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from kam_metrics.contract.sheets import DATETIME, INTEGER, NUMBER, SHEET_KINDS, SheetKind


@dataclass
class SheetCounts:
    file: str
    sheet: str
    kind: str
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    warnings: int = 0
    superseded: int = 0  # stored rows that lose to a stored row of a later data date (§2)


@dataclass
class IngestResult:
    """What one upload did: per-sheet counts, notes on ignored sheets, and the rows it rejected or warned about."""

    file: str
    upload_id: int | None
    sha256: str
    sheets: list[SheetCounts] = field(default_factory=list)
    notes: list[tuple[str, dict]] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)  # {sheet, row, problems, raw}
    warnings: list[dict] = field(default_factory=list)  # {sheet, row, code, column, value}
    already_uploaded: bool = False
    data_date: dt.date | None = None
    repeat_of: int | None = None  # the earlier upload of the same content (sha256): this one changed nothing
    repeat_of_at: dt.datetime | None = None


def _column_type(f) -> str:
    if f.type == DATETIME:
        return "timestamp"
    if f.type == NUMBER:
        return "decimal(18, 2)"
    if f.type == INTEGER:
        return "integer"
    return "varchar"


def data_columns(kind: SheetKind) -> list[tuple[str, str]]:
    cols: list[tuple[str, str]] = []
    for f in kind.fields:
        cols.append((f.name, _column_type(f)))
        if f.type == DATETIME:
            cols.append((f"{f.name}_date_only", "boolean"))
    if kind.name == "units":
        cols.append(("unit_key", "varchar"))
    if kind.name == "deals":
        cols.append(("signed_date", "date"))
    return cols


def ddl() -> list[str]:
    stmts = [
        "create table if not exists meta (key varchar primary key, value varchar)",
        """create table if not exists uploads (
             upload_id integer primary key, file_name varchar not null, sha256 varchar not null,
             stored_path varchar, uploaded_at timestamp not null, notes varchar)""",
        """create table if not exists upload_sheets (
             upload_id integer, sheet varchar, kind varchar, rows_read integer, accepted integer,
             duplicates integer, rejected integer, warnings integer)""",
        """create table if not exists rejected (
             upload_id integer, sheet varchar, kind varchar, row_no bigint, problems varchar, raw varchar)""",
        """create table if not exists warnings (
             upload_id integer, sheet varchar, kind varchar, row_no bigint, code varchar, "column" varchar,
             value varchar)""",
    ]
    for kind in SHEET_KINDS:
        cols = ", ".join(f'"{n}" {t}' for n, t in data_columns(kind))
        stmts.append(
            f"create table if not exists {kind.name} (upload_id integer not null, sheet varchar, "
            f"row_no bigint not null, {cols})"
        )
    return stmts


def uploads_frame(cur) -> pd.DataFrame:
    """The uploads ledger with per-upload totals (superseded, read, accepted, duplicate, rejected, warned rows),
    newest first."""
    return cur.sql(
        """
        select u.upload_id, u.file_name, u.sha256, u.uploaded_at, u.data_date, u.repeat_of,
               coalesce(sum(s.superseded), 0)::bigint as superseded,
               coalesce(sum(s.rows_read), 0)::bigint as rows_read,
               coalesce(sum(s.accepted), 0)::bigint as accepted,
               coalesce(sum(s.duplicates), 0)::bigint as duplicates,
               coalesce(sum(s.rejected), 0)::bigint as rejected,
               coalesce(sum(s.warnings), 0)::bigint as warnings
        from uploads u left join upload_sheets s using (upload_id)
        group by all order by u.upload_id desc
        """
    ).df()
