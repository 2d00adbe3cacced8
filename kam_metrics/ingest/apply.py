"""Reading and staging a file, an upload's data date and repeat check, and applying its staged sheets to the store
(the rows themselves are stored by ``rows.store_sheet``)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.contract.sheets import SHEET_KINDS
from kam_metrics.ingest.migrations import DATED_COLUMNS
from kam_metrics.ingest.reader import RawSheet
from kam_metrics.ingest.rows import raw_of_rejected, store_sheet
from kam_metrics.ingest.schema import IngestResult, SheetCounts, data_columns, ddl  # noqa: F401 (re-exported)


def latest_date(staged: list) -> dt.date | None:
    """The latest calendar date among the staged sheets' accepted rows' dated columns (None: none)."""
    dated: dict[str, list[str]] = {}
    for t, c in DATED_COLUMNS:
        dated.setdefault(t, []).append(c)
    latest: dt.date | None = None
    for sheet, table in staged:
        if sheet.kind not in dated or table.num_rows == 0:
            continue
        accepted = pc.equal(pc.list_value_length(table["problems"]), 0)
        for c in dated[sheet.kind]:
            d = pc.max(pc.filter(table[c], accepted)).as_py()
            if d is not None and (latest is None or d.date() > latest):
                latest = d.date()
    return latest


def data_date(cur, upload_id: int, staged: list) -> dt.date | None:
    """§2: the latest calendar date among the upload's accepted rows' dated columns (roster dates do not
    count); with none, the highest data date of the uploads before it (none: the earliest, stored as null)."""
    latest = latest_date(staged)
    if latest is None:
        latest = cur.execute(
            "select max(data_date) from uploads where upload_id < ?", [upload_id]
        ).fetchall()[0][0]
    return latest


def next_upload_id(cur, ledger_max: int) -> int:
    """After every id ever used (meta last_upload_id, the database, every ledger record, whose highest is
    ``ledger_max``): ids are never reused. One statement, which also keeps the id in meta."""
    return cur.execute(
        """insert or replace into meta select 'last_upload_id', (greatest(
               coalesce((select max(upload_id) from uploads), 0),
               coalesce((select max(value::integer) from meta where key = 'last_upload_id'), 0), ?) + 1)::varchar
           returning value::integer""",
        [ledger_max],
    ).fetchall()[0][0]


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
    if result.sheets:  # one statement for every sheet's counts
        cur.execute(
            "insert into upload_sheets (upload_id, sheet, kind, rows_read, accepted, duplicates, rejected, warnings, superseded) values "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(result.sheets)),
            [
                v
                for c in result.sheets
                for v in (
                    upload_id,
                    c.sheet,
                    c.kind,
                    c.read,
                    c.accepted,
                    c.duplicates,
                    c.rejected,
                    c.warnings,
                    c.superseded,
                )
            ],
        )
    return result


def release_raw(sheet: RawSheet, table: pa.Table) -> None:
    """Keep only the rejected rows' raw values of a staged sheet and drop its raw columns: a 3-million-row
    CSV then holds one copy of its data (the staged table) while it is stored, not two."""

    rejected = table.filter(pc.greater(pc.list_value_length(table["problems"]), 0))["row_no"].to_pylist()
    sheet.raw_rejected = raw_of_rejected(sheet, rejected)
    sheet.columns = {}
    sheet.all_columns = []


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
