"""Schema of the store's tables, reading and staging a file, and the storing of one staged sheet (accepted, duplicate,
rejected, warned rows) with the counts an upload's audit entry gives."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa

from kam_metrics.contract.sheets import DATETIME, INTEGER, NUMBER, SHEET_KINDS, SheetKind
from kam_metrics.ingest.migrations import DATED_COLUMNS
from kam_metrics.ingest.reader import RawSheet


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


def store_sheet(
    cur: duckdb.DuckDBPyConnection,
    upload_id: int,
    file: str,
    sheet: RawSheet,
    table: pa.Table,
    result: IngestResult,
    sheet_no: int = 0,
) -> SheetCounts:
    kind = next(k for k in SHEET_KINDS if k.name == sheet.kind)
    counts = SheetCounts(file=file, sheet=sheet.name, kind=kind.name, read=table.num_rows)
    cur.register("kam_staged", table)
    try:
        counts.rejected = cur.execute("select count(*) from kam_staged where len(problems) > 0").fetchall()[
            0
        ][0]
        counts.accepted = counts.read - counts.rejected
        before = cur.execute(f"select count(*) from {kind.name}").fetchall()[0][0]
        cols = [n for n, _ in data_columns(kind)]
        col_list = ", ".join(f'"{c}"' for c in cols)
        key = ", ".join(f'"{k}"' for k in kind.natural_key)
        if kind.on_same_key == "keep":
            key_match = " and ".join(f't."{k}" = s."{k}"' for k in kind.natural_key)
            cur.execute(
                f"""
                insert into {kind.name} (upload_id, sheet, row_no, {col_list})
                select ?, ?, row_no, {col_list}
                from (select *, row_number() over (partition by {key} order by row_no) as rn
                      from kam_staged where len(problems) = 0) s
                where rn = 1 and not exists (select 1 from {kind.name} t where {key_match})
                order by row_no
                """,
                [upload_id, sheet.name],
            )
        else:
            same = " and ".join(f'p."{c}" is not distinct from s."{c}"' for c in cols)
            key_match = " and ".join(f'p."{k}" = s."{k}"' for k in kind.natural_key)
            cur.execute(
                f"""
                insert into {kind.name} (upload_id, sheet, sheet_no, row_no, {col_list})
                with s as (
                  select *, lag(row_no) over (partition by {key} order by row_no) as prev_row,
                         max(row_no) over (partition by {key}) as last_row
                  from kam_staged where len(problems) = 0
                ), stored as ({_current_before(kind.name, key)}), unchanged as (
                  -- the file ends a key where the store already stands: the whole group changes nothing
                  select s.row_no from s join stored p on {key_match} and {same} where s.row_no = s.last_row
                )
                select ?, ?, ?, s.row_no, {", ".join(f's."{c}"' for c in cols)}
                from s
                where not exists (
                  select 1 from s u join unchanged using (row_no) where {key_match.replace('p."', 'u."')})
                  and not exists (
                  select 1 from kam_staged p
                  where p.row_no = s.prev_row and {same})
                  and not (s.prev_row is null and exists (
                  select 1 from stored p where {key_match} and {same}))
                order by s.row_no
                """,
                [upload_id, upload_id, sheet.name, sheet_no],
            )
            counts.superseded = _superseded(cur, kind.name, key, upload_id, sheet.name)
        after = cur.execute(f"select count(*) from {kind.name}").fetchall()[0][0]
        counts.duplicates = counts.accepted - (after - before)
        _store_problems(cur, upload_id, sheet, kind, counts, result)
    finally:
        cur.unregister("kam_staged")
    return counts


def _current_before(table: str, key: str) -> str:
    """The winning stored row per key among uploads before ``?`` (the order of stg_*_current.sql)."""
    return f"""
        select t.* from {table} t join uploads u using (upload_id) where t.upload_id < ?
        qualify row_number() over (partition by {key} order by u.data_date desc nulls last, t.upload_id desc,
                                            t.sheet_no desc nulls last, t.row_no desc) = 1"""


def _superseded(cur, table: str, key: str, upload_id: int, sheet: str) -> int:
    """Rows this sheet stored that lose to an earlier upload's row of a later data date (§2 "superseded")."""
    match = " and ".join(f"p.{k} = n.{k}" for k in key.split(", "))
    return cur.execute(
        f"""
        with p as ({_current_before(table, key)}), mine as (select data_date from uploads where upload_id = ?)
        select count(*) from {table} n, mine
        where n.upload_id = ? and n.sheet = ? and exists (
          select 1 from p join uploads pu using (upload_id)
          where {match} and pu.data_date is not null
            and (mine.data_date is null or pu.data_date > mine.data_date))
        """,
        [upload_id, upload_id, upload_id, sheet],
    ).fetchall()[0][0]


def data_date(cur, upload_id: int, staged: list) -> dt.date | None:
    """§2: the latest calendar date among the upload's accepted rows' dated columns (roster dates do not
    count); with none, the highest data date of the uploads before it (none: the earliest, stored as null)."""
    dated = dict.fromkeys(t for t, _ in DATED_COLUMNS)
    latest: dt.date | None = None
    for sheet, table in staged:
        if sheet.kind not in dated:
            continue
        cur.register("kam_dated", table)
        try:
            for t, c in DATED_COLUMNS:
                if t == sheet.kind:
                    d = cur.execute(
                        f'select max("{c}")::date from kam_dated where len(problems) = 0'
                    ).fetchall()[0][0]
                    if d is not None and (latest is None or d > latest):
                        latest = d
        finally:
            cur.unregister("kam_dated")
    if latest is None:
        latest = cur.execute(
            "select max(data_date) from uploads where upload_id < ?", [upload_id]
        ).fetchall()[0][0]
    return latest


def repeat_of(cur, upload_id: int, sha: str) -> tuple[int, dt.datetime] | None:
    """The earlier upload (not itself a repeat) whose file had this content, if any."""
    rows = cur.execute(
        """select upload_id, uploaded_at from uploads
           where sha256 = ? and upload_id < ? and repeat_of is null order by upload_id limit 1""",
        [sha, upload_id],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def apply_upload(cur, upload_id: int, name: str, sha: str, read, staged) -> IngestResult:
    """Store staged sheets under an upload id (its uploads row already written), inside the caller's
    transaction: a repeat of an earlier upload's content stores nothing; otherwise the data date, then the sheets."""
    result = IngestResult(file=name, upload_id=upload_id, sha256=sha, notes=read.notes)
    original = repeat_of(cur, upload_id, sha)
    if original is not None:
        result.repeat_of, result.repeat_of_at = original
        result.already_uploaded = True
        result.data_date = cur.execute(
            "select data_date from uploads where upload_id = ?", [original[0]]
        ).fetchall()[0][0]
        cur.execute(
            "update uploads set repeat_of = ?, data_date = ? where upload_id = ?",
            [original[0], result.data_date, upload_id],
        )
        return result
    result.data_date = data_date(cur, upload_id, staged)
    cur.execute(
        "update uploads set repeat_of = null, data_date = ? where upload_id = ?",
        [result.data_date, upload_id],
    )
    for sheet_no, (sheet, table) in enumerate(staged):
        result.sheets.append(store_sheet(cur, upload_id, name, sheet, table, result, sheet_no))
    for c in result.sheets:
        cur.execute(
            "insert into upload_sheets (upload_id, sheet, kind, rows_read, accepted, duplicates, rejected, warnings, superseded) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                upload_id,
                c.sheet,
                c.kind,
                c.read,
                c.accepted,
                c.duplicates,
                c.rejected,
                c.warnings,
                c.superseded,
            ],
        )
    return result


def table_rows(bad: list[tuple]) -> list[int]:
    return [r[0] for r in bad if r[1]]


def raw_of_rejected(sheet: RawSheet, rows_needed: list[int]) -> dict[int, str]:
    """The raw values (JSON, header → cell text) of the given rows, for the rejected-rows table."""
    raw_index: dict[int, str] = {}
    if rows_needed:
        positions = {rn: i for i, rn in enumerate(sheet.row_numbers.to_pylist())}
        columns = sheet.all_columns or [(sheet.headers[f], sheet.columns[f]) for f in sheet.headers]
        for rn in rows_needed:
            i = positions[rn]
            raw = {}
            for header, array in columns:
                raw.setdefault(header, array[i].as_py())
            raw_index[rn] = json.dumps(raw, ensure_ascii=False)
    return raw_index


def release_raw(sheet: RawSheet, table: pa.Table) -> None:
    """Keep only the rejected rows' raw values of a staged sheet and drop its raw columns: a 3-million-row
    CSV then holds one copy of its data (the staged table) while it is stored, not two."""
    import pyarrow.compute as pc

    rejected = table.filter(pc.greater(pc.list_value_length(table["problems"]), 0))["row_no"].to_pylist()
    sheet.raw_rejected = raw_of_rejected(sheet, rejected)
    sheet.columns = {}
    sheet.all_columns = []


def _store_problems(cur, upload_id, sheet: RawSheet, kind, counts: SheetCounts, result) -> None:
    bad = cur.execute(
        "select row_no, problems, warnings from kam_staged where len(problems) > 0 or len(warnings) > 0"
    ).fetchall()
    if not bad:
        return
    raw_index = (
        sheet.raw_rejected if sheet.raw_rejected is not None else raw_of_rejected(sheet, table_rows(bad))
    )
    stored_rows = {
        r[0]
        for r in cur.execute(
            f"select row_no from {kind.name} where upload_id = ? and sheet = ?", [upload_id, sheet.name]
        ).fetchall()
    }
    rejected_rows, warning_rows = [], []
    for row_no, problems, warnings in bad:
        if problems:
            raw = raw_index[row_no]
            result.rejected.append({"sheet": sheet.name, "row": row_no, "problems": problems, "raw": raw})
            rejected_rows.append(
                (upload_id, sheet.name, kind.name, row_no, json.dumps(problems, ensure_ascii=False), raw)
            )
        else:
            for w in warnings:
                counts.warnings += 1
                result.warnings.append({"sheet": sheet.name, "row": row_no, **w})
                if row_no in stored_rows:
                    warning_rows.append(
                        (upload_id, sheet.name, kind.name, row_no, w["code"], w["column"], w["value"])
                    )
    if rejected_rows:
        frame = pd.DataFrame(
            rejected_rows, columns=["upload_id", "sheet", "kind", "row_no", "problems", "raw"]
        )
        cur.register("kam_rejected_new", frame)
        cur.execute(
            """
            insert into rejected
            select * from kam_rejected_new n
            where not exists (select 1 from rejected r where r.kind = n.kind and r.raw = n.raw)
            qualify row_number() over (partition by n.kind, n.raw order by n.row_no) = 1
            """
        )
        cur.unregister("kam_rejected_new")
    if warning_rows:
        cur.executemany("insert into warnings values (?, ?, ?, ?, ?, ?, ?)", warning_rows)


def read_and_stage(cur, path, name: str, limits, progress=None):
    """Read a file and normalise its sheets (no store needed: a worker process runs this on its own)."""
    from kam_metrics.contract.sheets import KINDS
    from kam_metrics.ingest import formulas, normalize
    from kam_metrics.ingest.reader import read_file

    read = read_file(path, name, limits, progress)
    staged = []
    for sheet in read.sheets:
        table = formulas.mark(normalize.stage(cur, sheet), sheet, KINDS[sheet.kind].required)
        release_raw(sheet, table)
        staged.append((sheet, table))
    return read, staged


def stored_rows(cur) -> int:
    """Accepted, rejected and warned rows stored (an undo's or a clear's "rows removed" is the difference)."""
    names = [k.name for k in SHEET_KINDS] + ["rejected"]
    return cur.execute(
        " + ".join(f"(select count(*) from {n})" for n in names).join(["select ", ""])
    ).fetchall()[0][0]


def upload_details(result: IngestResult) -> dict:
    """An upload's audit details: its id and per-upload totals of accepted, rejected, duplicate and warned rows."""
    totals = {
        f: sum(getattr(c, f) for c in result.sheets)
        for f in ("read", "accepted", "rejected", "duplicates", "warnings")
    }
    return {
        "upload_id": result.upload_id,
        "sheets": len(result.sheets),
        "repeat_of": result.repeat_of,
        **totals,
    }
