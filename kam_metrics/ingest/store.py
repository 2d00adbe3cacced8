"""The DuckDB store: schema with a version, the uploads ledger, one transaction per upload, undo and rebuild."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from kam_metrics.contract.sheets import DATETIME, INTEGER, NUMBER, SHEET_KINDS, SheetKind
from kam_metrics.ingest import migrations, normalize
from kam_metrics.ingest.migrations import SCHEMA_VERSION
from kam_metrics.ingest.reader import Limits, RawSheet, UnreadableFile, read_file

DEFAULT_DB = Path("data") / "kam.duckdb"


def default_db_path() -> Path:
    """``KAM_DB`` when set, else data/kam.duckdb."""
    return Path(os.environ.get("KAM_DB") or DEFAULT_DB)


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


def _column_type(f) -> str:
    if f.type == DATETIME:
        return "timestamp"
    if f.type == NUMBER:
        return "decimal(18, 2)"
    if f.type == INTEGER:
        return "integer"
    return "varchar"


def _data_columns(kind: SheetKind) -> list[tuple[str, str]]:
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


def _ddl() -> list[str]:
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
        cols = ", ".join(f'"{n}" {t}' for n, t in _data_columns(kind))
        stmts.append(
            f"create table if not exists {kind.name} (upload_id integer not null, sheet varchar, "
            f"row_no bigint not null, {cols})"
        )
    return stmts


class Store:
    """A DuckDB file holding every accepted, rejected and warned row with the upload it came from.

    One Store per process; it is safe to share between threads (each call uses its own cursor and
    writes are serialised).
    """

    def __init__(self, path: str | Path | None = None, limits: Limits | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.uploads_dir = self.path.parent / "uploads"
        else:
            self.uploads_dir = None
        self.limits = limits or Limits.from_env()
        self.con = duckdb.connect(str(self.path))
        self._lock = threading.RLock()
        self._migrate()
        if self.uploads_dir is not None and self.uploads_dir.exists() and self._has_uploads():
            # A process killed between COMMIT and writing the ledger left it one upload behind.
            self._write_ledger()

    def _has_uploads(self) -> bool:
        return bool(self.cursor().execute("select 1 from uploads limit 1").fetchall())

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            cur = self.con.cursor()
            cur.execute("begin transaction")
            try:
                for stmt in _ddl():
                    cur.execute(stmt)
                row = cur.execute("select value from meta where key = 'schema_version'").fetchall()
                version = int(row[0][0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise RuntimeError(
                        f"{self.path} was written by a newer version of KAM Metrics (schema {version})"
                    )
                migrations.upgrade(cur, version)
                cur.execute("insert or replace into meta values ('schema_version', ?)", [str(SCHEMA_VERSION)])
                cur.execute("insert or ignore into meta values ('data_version', '0')")
                cur.execute("commit")
            except BaseException:
                cur.execute("rollback")
                raise

    def close(self) -> None:
        self.con.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def version(self) -> int:
        """A number that changes whenever the stored data changes (for caches)."""
        cur = self.cursor()
        return int(cur.execute("select value from meta where key = 'data_version'").fetchall()[0][0])

    def _bump(self, cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute("update meta set value = (value::bigint + 1)::varchar where key = 'data_version'")

    @contextmanager
    def _writing(self):
        """One write transaction under the store's lock: commits (bumping the data version) or rolls back,
        then mirrors the ledger beside the kept files."""
        with self._lock:
            cur = self.cursor()
            cur.execute("begin transaction")
            try:
                yield cur
                self._bump(cur)
                cur.execute("commit")
            except BaseException:
                cur.execute("rollback")
                raise
            self._write_ledger()

    # -- ingest ------------------------------------------------------------------------------
    def ingest(
        self,
        path: str | Path,
        name: str | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> IngestResult:
        """Read, normalise and store one file in one transaction.

        Raises UnreadableFile (nothing stored) when the file cannot be read at all. Rows that fail
        validation are stored as rejected; the rest of the file is stored.
        """
        path = Path(path)
        name = name or path.name
        read, staged = self._read_and_stage(path, name, progress)  # refuses an oversized file unread
        sha = _sha256(path)
        stored_path = self._keep(path, sha, name)
        with self._writing() as cur:
            upload_id = cur.execute("select coalesce(max(upload_id), 0) + 1 from uploads").fetchall()[0][0]
            cur.execute(
                "insert into uploads (upload_id, file_name, sha256, stored_path, uploaded_at, notes) values (?, ?, ?, ?, ?, ?)",
                [
                    upload_id,
                    name,
                    sha,
                    stored_path.name if stored_path else None,
                    dt.datetime.now().replace(microsecond=0),
                    json.dumps(read.notes, ensure_ascii=False),
                ],
            )
            result = self._apply(cur, upload_id, name, sha, read, staged)
            _before_commit_hook(cur)
        return result

    def _read_and_stage(self, path: Path, name: str, progress=None):
        read = read_file(path, name, self.limits, progress)
        cur = self.cursor()
        return read, [(sheet, normalize.stage(cur, sheet)) for sheet in read.sheets]

    def _apply(self, cur, upload_id: int, name: str, sha: str, read, staged) -> IngestResult:
        """Store staged sheets under an upload id, inside the caller's transaction."""
        result = IngestResult(file=name, upload_id=upload_id, sha256=sha, notes=read.notes)
        for sheet, table in staged:
            result.sheets.append(self._store_sheet(cur, upload_id, name, sheet, table, result))
        for c in result.sheets:
            cur.execute(
                "insert into upload_sheets (upload_id, sheet, kind, rows_read, accepted, duplicates, rejected, warnings) values (?, ?, ?, ?, ?, ?, ?, ?)",
                [upload_id, c.sheet, c.kind, c.read, c.accepted, c.duplicates, c.rejected, c.warnings],
            )
        return result

    def _kept_file(self, stored: str | None) -> Path | None:
        if not stored or self.uploads_dir is None:
            return None
        path = Path(stored)
        return path if path.is_absolute() else self.uploads_dir / path

    def _replay(self, cur, uploads: list[tuple]) -> None:
        """Re-store uploads (id, file name, kept file) from their kept files, inside the caller's transaction."""
        for upload_id, file_name, stored in uploads:
            kept = self._kept_file(stored)
            read, staged = self._read_and_stage(kept, file_name)
            cur.execute("delete from upload_sheets where upload_id = ?", [upload_id])
            self._apply(cur, upload_id, file_name, _sha256(kept), read, staged)

    def _missing_files(self, uploads: list[tuple]) -> list[str]:
        return [u[1] for u in uploads if not (k := self._kept_file(u[2])) or not k.exists()]

    def _write_ledger(self) -> None:
        """Mirror the uploads ledger next to the kept files, so the store can be rebuilt without its file."""
        if self.uploads_dir is None:
            return
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        rows = (
            self.cursor()
            .execute(
                "select upload_id, file_name, sha256, stored_path, uploaded_at from uploads order by upload_id"
            )
            .fetchall()
        )
        tmp = self.uploads_dir / "ledger.jsonl.part"
        with open(tmp, "w", encoding="utf-8") as f:
            for uid, file_name, sha, stored, at in rows:
                record = {"upload_id": uid, "file_name": file_name, "sha256": sha, "stored": stored}
                f.write(json.dumps(record | {"uploaded_at": at.isoformat()}, ensure_ascii=False) + "\n")
        os.replace(tmp, self.uploads_dir / "ledger.jsonl")

    def _keep(self, path: Path, sha: str, name: str) -> Path | None:
        if self.uploads_dir is None:
            return None
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        target = self.uploads_dir / f"{sha}{Path(name).suffix.lower()}"
        if not target.exists():
            # A temp name of its own: two sessions uploading the same file at once must not share one.
            fd, tmp = tempfile.mkstemp(dir=self.uploads_dir, prefix=f".{sha[:12]}-", suffix=".part")
            os.close(fd)
            try:
                shutil.copyfile(path, tmp)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return target

    def _store_sheet(
        self,
        cur: duckdb.DuckDBPyConnection,
        upload_id: int,
        file: str,
        sheet: RawSheet,
        table: pa.Table,
        result: IngestResult,
    ) -> SheetCounts:
        kind = next(k for k in SHEET_KINDS if k.name == sheet.kind)
        counts = SheetCounts(file=file, sheet=sheet.name, kind=kind.name, read=table.num_rows)
        cur.register("kam_staged", table)
        try:
            counts.rejected = cur.execute(
                "select count(*) from kam_staged where len(problems) > 0"
            ).fetchall()[0][0]
            counts.accepted = counts.read - counts.rejected
            before = cur.execute(f"select count(*) from {kind.name}").fetchall()[0][0]
            cols = [n for n, _ in _data_columns(kind)]
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
                    insert into {kind.name} (upload_id, sheet, row_no, {col_list})
                    with s as (
                      select *, lag(row_no) over (partition by {key} order by row_no) as prev_row,
                             max(row_no) over (partition by {key}) as last_row
                      from kam_staged where len(problems) = 0
                    ), stored as (
                      select * from {kind.name} where upload_id < ?
                      qualify row_number() over (partition by {key} order by upload_id desc, row_no desc) = 1
                    ), unchanged as (
                      -- the file ends a key where the store already stands: the whole group changes nothing
                      select s.row_no from s join stored p on {key_match} and {same} where s.row_no = s.last_row
                    )
                    select ?, ?, s.row_no, {", ".join(f's."{c}"' for c in cols)}
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
                    [upload_id, upload_id, sheet.name],
                )
            after = cur.execute(f"select count(*) from {kind.name}").fetchall()[0][0]
            counts.duplicates = counts.accepted - (after - before)
            self._store_problems(cur, upload_id, sheet, kind, counts, result)
        finally:
            cur.unregister("kam_staged")
        return counts

    def _store_problems(self, cur, upload_id, sheet: RawSheet, kind, counts: SheetCounts, result) -> None:
        bad = cur.execute(
            "select row_no, problems, warnings from kam_staged where len(problems) > 0 or len(warnings) > 0"
        ).fetchall()
        if not bad:
            return
        raw_index = {}
        rows_needed = [r[0] for r in bad if r[1]]
        if rows_needed:
            positions = {rn: i for i, rn in enumerate(sheet.row_numbers.to_pylist())}
            columns = sheet.all_columns or [(sheet.headers[f], sheet.columns[f]) for f in sheet.headers]
            for rn in rows_needed:
                i = positions[rn]
                raw = {}
                for header, array in columns:
                    raw.setdefault(header, array[i].as_py())
                raw_index[rn] = json.dumps(raw, ensure_ascii=False)
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

    # -- ledger, undo, rebuild -----------------------------------------------------------------
    def uploads(self) -> pd.DataFrame:
        """The uploads ledger with per-upload totals, newest first."""
        return (
            self.cursor()
            .sql(
                """
            select u.upload_id, u.file_name, u.sha256, u.uploaded_at,
                   coalesce(sum(s.rows_read), 0)::bigint as rows_read,
                   coalesce(sum(s.accepted), 0)::bigint as accepted,
                   coalesce(sum(s.duplicates), 0)::bigint as duplicates,
                   coalesce(sum(s.rejected), 0)::bigint as rejected,
                   coalesce(sum(s.warnings), 0)::bigint as warnings
            from uploads u left join upload_sheets s using (upload_id)
            group by all order by u.upload_id desc
            """
            )
            .df()
        )

    def upload_sheets(self, upload_id: int) -> pd.DataFrame:
        return (
            self.cursor()
            .execute("select * from upload_sheets where upload_id = ? order by rowid", [upload_id])
            .df()
        )

    def undo(self, upload_id: int) -> None:
        """Remove one upload: the store becomes what it would be had that upload never happened.

        Later uploads are re-read from their kept files, because rows of theirs that were duplicates of
        the removed upload's rows must now be stored in their own name. All of it is one transaction.
        """
        with self._lock:
            cur = self.cursor()
            if not cur.execute("select 1 from uploads where upload_id = ?", [upload_id]).fetchall():
                raise KeyError(f"no upload {upload_id}")
            later = cur.execute(
                "select upload_id, file_name, stored_path from uploads where upload_id > ? order by upload_id",
                [upload_id],
            ).fetchall()
            missing = self._missing_files(later)
            if missing:
                raise FileNotFoundError(
                    "cannot undo: the kept copies of later uploads are missing: " + ", ".join(missing)
                )
            with self._writing() as cur:
                self._delete_from(cur, upload_id)
                cur.execute("delete from uploads where upload_id = ?", [upload_id])
                self._replay(cur, later)

    def _delete_from(self, cur, upload_id: int) -> None:
        for table in [k.name for k in SHEET_KINDS] + ["rejected", "warnings", "upload_sheets"]:
            cur.execute(f"delete from {table} where upload_id >= ?", [upload_id])

    def clear(self) -> None:
        """Remove every upload (the kept files stay on disk)."""
        with self._writing() as cur:
            self._delete_from(cur, 0)
            cur.execute("delete from uploads")

    def rebuild(self) -> int:
        """Re-read every upload from its kept file, in upload order; returns the number of files.

        When the store file itself was lost (an empty store), the ledger kept beside the files
        (uploads/ledger.jsonl) says which files were uploaded, in which order and when.
        """
        with self._lock:
            cur = self.cursor()
            uploads = cur.execute(
                "select upload_id, file_name, stored_path from uploads order by upload_id"
            ).fetchall()
            ledger = self.uploads_dir / "ledger.jsonl" if self.uploads_dir else None
            records = []
            if not uploads and ledger is not None and ledger.exists():
                records = [
                    json.loads(line) for line in ledger.read_text(encoding="utf-8").splitlines() if line
                ]
                uploads = [(r["upload_id"], r["file_name"], r["stored"]) for r in records]
            missing = self._missing_files(uploads)
            if missing:
                raise FileNotFoundError("cannot rebuild: kept files are missing: " + ", ".join(missing))
            with self._writing() as cur:
                self._delete_from(cur, 0)
                for r in records:
                    cur.execute(
                        "insert into uploads (upload_id, file_name, sha256, stored_path, uploaded_at, notes) values (?, ?, ?, ?, ?, ?)",
                        [
                            r["upload_id"],
                            r["file_name"],
                            r["sha256"],
                            r["stored"],
                            dt.datetime.fromisoformat(r["uploaded_at"]),
                            "[]",
                        ],
                    )
                self._replay(cur, uploads)
            return len(uploads)

    def counts(self) -> dict[str, int]:
        """Stored rows per table (for tests and the upload page)."""
        cur = self.cursor()
        names = [k.name for k in SHEET_KINDS] + ["rejected", "warnings", "uploads"]
        return {n: cur.execute(f"select count(*) from {n}").fetchall()[0][0] for n in names}


def _before_commit_hook(cur: duckdb.DuckDBPyConnection) -> None:
    """Called inside every upload transaction just before COMMIT; tests replace it to inject a failure."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["Store", "IngestResult", "SheetCounts", "UnreadableFile", "default_db_path"]
