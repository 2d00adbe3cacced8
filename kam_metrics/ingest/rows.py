"""Storing one staged sheet: its accepted rows (kept, duplicate, superseded, per SPEC §2's natural keys and
"later" order), its rejected rows and its warnings, with the counts the upload's ledger and audit entry give.

Every accepted row that is not stored (a duplicate, an unchanged roster or deal row), every rejected row not
stored again and the warnings of rows not stored go to the ``seen_*`` tables, with each sheet's place and latest
date in ``seen_sheets``: no result reads them; they let an undo re-derive the later uploads without their files
(``undo.py``)."""

from __future__ import annotations

import contextlib
import json

import duckdb
import pandas as pd
import pyarrow as pa

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
    """Classify every staged row once (stored, seen, rejected) into a temp table, store from it, count from it."""
    kind = next(k for k in SHEET_KINDS if k.name == sheet.kind)
    counts = SheetCounts(file=file, sheet=sheet.name, kind=kind.name, read=table.num_rows)
    cols = [n for n, _ in data_columns(kind)]
    col_list = ", ".join(f'"{c}"' for c in cols)
    key = ", ".join(f'"{k}"' for k in kind.natural_key)
    dated = [c for t, c in DATED_COLUMNS if t == kind.name]
    accepted = f"filter (where kam_class != '{REJECTED}')"
    latest = (
        "greatest(" + ", ".join(f'(max("{c}") {accepted})::date' for c in dated) + ")"
        if dated
        else "null::date"
    )
    cur.register("kam_staged", table)
    try:
        if kind.on_same_key == "keep":
            cur.execute(_classify_keep(kind.name, key))
        else:
            cur.execute(_classify_replace(kind.name, cols, key), [upload_id, upload_id])
        rejected, seen, superseded, latest_date = cur.execute(
            f"""select coalesce(count_if(kam_class = '{REJECTED}'), 0), coalesce(count_if(kam_class = '{SEEN}'), 0),
                       coalesce(count_if(kam_class = '{STORED}' and kam_superseded), 0),
                       {latest}
                from kam_cls"""
        ).fetchall()[0]
        counts.rejected, counts.duplicates, counts.superseded = rejected, seen, superseded
        counts.accepted = counts.read - counts.rejected
        sheet_col = "sheet_no, " if kind.on_same_key == "replace" else ""
        cur.execute(
            f"""insert into {kind.name} (upload_id, sheet, {sheet_col}row_no, {col_list})
                select ?, ?, {"?, " if sheet_col else ""}row_no, {col_list} from kam_cls
                where kam_class = '{STORED}' order by row_no""",
            [upload_id, sheet.name, sheet_no] if sheet_col else [upload_id, sheet.name],
        )
        if seen:
            cur.execute(
                f"""insert into seen_{kind.name} (upload_id, sheet, sheet_no, row_no, {col_list})
                    select ?, ?, ?, row_no, {col_list} from kam_cls where kam_class = '{SEEN}' order by row_no""",
                [upload_id, sheet.name, sheet_no],
            )
        cur.execute(
            "insert into seen_sheets values (?, ?, ?, ?, ?)",
            [upload_id, sheet.name, kind.name, sheet_no, latest_date],
        )
        _store_problems(cur, upload_id, sheet, sheet_no, kind, counts, result)
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction is rolled back by the caller
            cur.unregister("kam_staged")
            cur.execute("drop table if exists kam_cls")
    return counts


def _classify_keep(table: str, key: str) -> str:
    """Keep kinds: the first accepted row per key in the sheet is stored unless the key is stored already."""
    key_match = " and ".join(f"t.{k} = s.{k}" for k in key.split(", "))
    return f"""
        create or replace temp table kam_cls as
        select s.* exclude (rn),
               case when len(s.problems) > 0 then '{REJECTED}'
                    when rn = 1 and not exists (select 1 from {table} t where {key_match}) then '{STORED}'
                    else '{SEEN}' end as kam_class,
               false as kam_superseded
        from (select *, row_number() over (partition by len(problems) > 0, {key} order by row_no) as rn
              from kam_staged) s"""


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
        ), stored as ({current_before(table, key)}), unchanged as (
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
    cur, upload_id, sheet: RawSheet, sheet_no: int, kind, counts: SheetCounts, result
) -> None:
    bad = cur.execute(
        "select row_no, problems, warnings, kam_class from kam_cls where len(problems) > 0 or len(warnings) > 0 order by row_no"
    ).fetchall()
    if not bad:
        return
    raw_index = (
        sheet.raw_rejected if sheet.raw_rejected is not None else raw_of_rejected(sheet, table_rows(bad))
    )
    rejected_rows, warning_rows = [], {"warnings": [], "seen_warnings": []}
    for row_no, problems, warnings, kam_class in bad:
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
                warning_rows["warnings" if kam_class == STORED else "seen_warnings"].append(
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
