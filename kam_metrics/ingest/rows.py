"""Storing one staged sheet: its accepted rows (kept, duplicate, superseded, per SPEC §2's natural keys and
"later" order), its rejected rows and its warnings, with the counts the upload's ledger and audit entry give."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pyarrow as pa

from kam_metrics.contract.sheets import SHEET_KINDS
from kam_metrics.ingest.reader import RawSheet
from kam_metrics.ingest.schema import IngestResult, SheetCounts, data_columns


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
