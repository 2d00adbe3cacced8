"""Storing one staged sheet: its accepted rows (kept, duplicate, superseded, per SPEC §2's natural keys and
"later" order), its rejected rows and its warnings, with the counts the upload's ledger and audit entry give.

Every accepted row that is not stored (a duplicate, an unchanged roster or deal row), every rejected row not
stored again and the warnings of rows not stored go to the ``seen_*`` tables, with each sheet's place and latest
date in ``seen_sheets``: no result reads them; they let an undo re-derive the later uploads without their files
(``undo.py``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.contract.sheets import SHEET_KINDS
from kam_metrics.ingest.migrations import DATED_COLUMNS
from kam_metrics.ingest.reader import RawSheet
from kam_metrics.ingest.schema import IngestResult, SheetCounts, data_columns

STORED, SEEN, REJECTED = "s", "d", "r"  # a staged row's class (kam_class)


def store_sheet(
    cur: duckdb.DuckDBPyConnection,
    upload_id: int,
    file: str,
    sheet: RawSheet,
    table: pa.Table,
    result: IngestResult,
    sheet_no: int = 0,
) -> SheetCounts:
    """Store the sheet's accepted rows, keep those it does not store as seen, store its rejected rows and warnings."""
    kind = next(k for k in SHEET_KINDS if k.name == sheet.kind)
    counts = SheetCounts(file=file, sheet=sheet.name, kind=kind.name, read=table.num_rows)
    cols = [n for n, _ in data_columns(kind)]
    col_list = ", ".join(f'"{c}"' for c in cols)
    key = ", ".join(f'"{k}"' for k in kind.natural_key)
    rejected = pc.greater(pc.list_value_length(table["problems"]), 0)
    counts.rejected = pc.sum(rejected).as_py() or 0
    counts.accepted = counts.read - counts.rejected
    latest_date = _latest(table, rejected, [c for t, c in DATED_COLUMNS if t == kind.name])
    cur.register("kam_staged", table)
    try:
        if not counts.accepted:
            pass  # nothing to store or see (an empty sheet, or all of it rejected): no statement
        elif kind.on_same_key == "keep":
            _store_keep(cur, kind.name, upload_id, sheet.name, sheet_no, counts, col_list, key)
        else:
            _store_replace(cur, kind.name, upload_id, sheet.name, sheet_no, counts, cols, key)
        cur.execute(
            "insert into seen_sheets values (?, ?, ?, ?, ?)",
            [upload_id, sheet.name, kind.name, sheet_no, latest_date],
        )
        _store_problems(cur, upload_id, sheet, table, kind, counts, result)
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction is rolled back by the caller
            cur.unregister("kam_staged")
    return counts


def _latest(table: pa.Table, rejected, dated: list[str]):
    """The latest calendar date among the sheet's accepted rows' dated columns (§2's data date, per sheet)."""
    latest = None
    for c in dated:
        d = pc.max(pc.filter(table[c], pc.invert(rejected))).as_py()
        d = d.date() if isinstance(d, dt.datetime) else d
        if d is not None and (latest is None or d > latest):
            latest = d
    return latest


def _store_keep(cur, table: str, upload_id, sheet: str, sheet_no: int, counts, col_list: str, key: str):
    """Keep kinds: the first accepted row per key in the sheet is stored unless the key is stored already; the other
    accepted rows are seen. Three statements (the seen insert only when there are duplicates)."""
    counts.accepted = counts.read - counts.rejected
    key_match = " and ".join(f"t.{k} = s.{k}" for k in key.split(", "))
    stored = cur.execute(
        f"""
        insert into {table} (upload_id, sheet, row_no, {col_list})
        select ?, ?, row_no, {col_list}
        from (select *, row_number() over (partition by {key} order by row_no) as rn
              from kam_staged where len(problems) = 0) s
        where rn = 1 and not exists (select 1 from {table} t where {key_match})
        order by row_no
        """,
        [upload_id, sheet],
    ).fetchall()[0][0]
    counts.duplicates = counts.accepted - stored
    if counts.duplicates:
        cur.execute(
            f"""
            insert into seen_{table} (upload_id, sheet, sheet_no, row_no, {col_list})
            select ?, ?, ?, row_no, {col_list} from kam_staged s
            where len(problems) = 0 and not exists (
              select 1 from {table} t where t.upload_id = ? and t.sheet = ? and t.row_no = s.row_no)
            order by row_no
            """,
            [upload_id, sheet, sheet_no, upload_id, sheet],
        )


def _store_replace(cur, table: str, upload_id, sheet: str, sheet_no: int, counts, cols, key: str):
    """Replace kinds: classify every staged row once into kam_cls, store and count from it."""
    col_list = ", ".join(f'"{c}"' for c in cols)
    cur.execute(_classify_replace(table, cols, key), [upload_id, upload_id])
    try:
        counts.duplicates, counts.superseded = cur.execute(
            f"""select coalesce(count_if(kam_class = '{SEEN}'), 0),
                       coalesce(count_if(kam_class = '{STORED}' and kam_superseded), 0) from kam_cls"""
        ).fetchall()[0]
        cur.execute(
            f"""insert into {table} (upload_id, sheet, sheet_no, row_no, {col_list})
                select ?, ?, ?, row_no, {col_list} from kam_cls where kam_class = '{STORED}' order by row_no""",
            [upload_id, sheet, sheet_no],
        )
        if counts.duplicates:
            cur.execute(
                f"""insert into seen_{table} (upload_id, sheet, sheet_no, row_no, {col_list})
                    select ?, ?, ?, row_no, {col_list} from kam_cls where kam_class = '{SEEN}' order by row_no""",
                [upload_id, sheet, sheet_no],
            )
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction is rolled back by the caller
            cur.execute("drop table if exists kam_cls")


def _classify_replace(table: str, cols: list[str], key: str) -> str:
    """Replace kinds (roster, deals): a row is stored unless it changes nothing — its key's group in the file ends
    where the store stands, or it repeats the row before it in the file, or (first of its group) the stored one.
    A stored row is superseded when the store's current row for its key has a later data date (§2)."""
    same = " and ".join(f'p."{c}" is not distinct from s."{c}"' for c in cols)
    key_match = " and ".join(f"p.{k} = s.{k}" for k in key.split(", "))
    return f"""
        create or replace temp table kam_cls as
        with s as (
          select *, lag(row_no) over (partition by {key} order by row_no) as prev_row,
                 max(row_no) over (partition by {key}) as last_row
          from kam_staged where len(problems) = 0
        ), stored as materialized ({current_before(table, key)}), unchanged as (
          -- the file ends a key where the store already stands: the whole group changes nothing
          select s.row_no from s join stored p on {key_match} and {same} where s.row_no = s.last_row
        ), mine as (select data_date from uploads where upload_id = ?)
        select s.* exclude (prev_row, last_row),
               case when exists (select 1 from s u join unchanged using (row_no)
                                 where {key_match.replace("p.", "u.")})
                      or exists (select 1 from kam_staged p where p.row_no = s.prev_row and {same})
                      or (s.prev_row is null and exists (select 1 from stored p where {key_match} and {same}))
                    then '{SEEN}' else '{STORED}' end as kam_class,
               exists (select 1 from stored p, mine
                       where {key_match} and p.kam_data_date is not null
                         and (mine.data_date is null or p.kam_data_date > mine.data_date)) as kam_superseded
        from s
        union all by name
        select *, '{REJECTED}' as kam_class, false as kam_superseded from kam_staged where len(problems) > 0"""


def current_before(table: str, key: str) -> str:
    """The winning stored row per key among uploads before ``?`` (the order of stg_*_current.sql), with its
    upload's data date as kam_data_date."""
    return f"""
        select t.*, u.data_date as kam_data_date from {table} t join uploads u using (upload_id) where t.upload_id < ?
        qualify row_number() over (partition by {key} order by u.data_date desc nulls last, t.upload_id desc,
                                            t.sheet_no desc nulls last, t.row_no desc) = 1"""


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


def _store_problems(
    cur, upload_id, sheet: RawSheet, table: pa.Table, kind, counts: SheetCounts, result
) -> None:
    flagged = pc.or_(
        pc.greater(pc.list_value_length(table["problems"]), 0),
        pc.greater(pc.list_value_length(table["warnings"]), 0),
    )
    bad = [
        (r["row_no"], r["problems"], r["warnings"])
        for r in table.filter(flagged).select(["row_no", "problems", "warnings"]).to_pylist()
    ]
    if not bad:
        return
    raw_index = (
        sheet.raw_rejected if sheet.raw_rejected is not None else raw_of_rejected(sheet, table_rows(bad))
    )
    stored_rows = set()
    if any(not p and w for _, p, w in bad):
        stored_rows = {
            r[0]
            for r in cur.execute(
                f"select row_no from {kind.name} where upload_id = ? and sheet = ?", [upload_id, sheet.name]
            ).fetchall()
        }
    rejected_rows, warning_rows = [], {"warnings": [], "seen_warnings": []}
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
                warning_rows["warnings" if row_no in stored_rows else "seen_warnings"].append(
                    (upload_id, sheet.name, kind.name, row_no, w["code"], w["column"], w["value"])
                )
    if rejected_rows:
        frame = pd.DataFrame(
            rejected_rows, columns=["upload_id", "sheet", "kind", "row_no", "problems", "raw"]
        )
        cur.register("kam_rejected_new", frame)
        new = """(select *, not exists (select 1 from rejected r where r.kind = n.kind and r.raw = n.raw)
                         and row_number() over (partition by n.kind, n.raw order by n.row_no) = 1 as kam_first
                  from kam_rejected_new n)"""
        # a rejected row identical to one stored is not stored again: it is only seen (before the insert below)
        cur.execute(f"insert into seen_rejected select * exclude (kam_first) from {new} where not kam_first")
        cur.execute(f"insert into rejected select * exclude (kam_first) from {new} where kam_first")
        cur.unregister("kam_rejected_new")
    for name, rows in warning_rows.items():
        if rows:
            cur.executemany(f"insert into {name} values (?, ?, ?, ?, ?, ?, ?)", rows)
