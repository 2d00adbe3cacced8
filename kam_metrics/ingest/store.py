"""The DuckDB store: where it may be opened or created, schema with a version, one transaction per upload,
undo, rebuild (also into a fresh file), backup, and read-only viewing when it cannot be written."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from kam_metrics.access import audit
from kam_metrics.access.roles import Viewer
from kam_metrics.contract.sheets import SHEET_KINDS
from kam_metrics.ingest import files, many, migrations, undo
from kam_metrics.ingest.apply import (
    IngestResult,
    SheetCounts,
    apply_upload,
    ddl,
    next_upload_id,
    read_and_stage,
    stored_rows,
    upload_details,
)
from kam_metrics.ingest.faults import StoreError, translate
from kam_metrics.ingest.files import Ledger, keep, kept_name, sha256
from kam_metrics.ingest.migrations import SCHEMA_VERSION
from kam_metrics.ingest.reader import Limits, UnreadableFile
from kam_metrics.ingest.schema import uploads_frame

DEFAULT_DB = Path("data") / "kam.duckdb"
# Where a Store may create a new database file: "anywhere" (folders too; tests and the demo), "in_folder"
# (only inside an existing folder: `ingest`, the first upload) or "never" (viewing, reports).
CREATE_POLICIES = ("anywhere", "in_folder", "never")
READ_ONLY_BANNER = "store.read_only_banner"  # locale key of the page's read-only notice ({path})
log = logging.getLogger(__name__)


def default_db_path() -> Path:
    """``KAM_DB`` when set, else data/kam.duckdb."""
    return Path(os.environ.get("KAM_DB") or DEFAULT_DB)


def _writable(path: Path) -> bool:
    """Whether this process may write ``path`` (tests replace it: root ignores permission bits)."""
    return os.access(path, os.W_OK)


class Store:
    """A DuckDB file holding every accepted, rejected and warned row with the upload it came from.

    One Store per process; it is safe to share between threads (each call uses its own cursor and
    writes are serialised). ``read_only`` is True when the file, its folder or uploads/ cannot be written:
    every view works, every change raises StoreError("read_only"). ``created`` says the file is new.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        limits: Limits | None = None,
        *,
        create: str = "anywhere",
        read_only: bool = False,
    ) -> None:
        if create not in CREATE_POLICIES:
            raise ValueError(f"create must be one of {CREATE_POLICIES}")
        self.path = Path(path) if path is not None else default_db_path()
        self.read_only = read_only
        self.created = False
        self.ledger_ahead = 0  # uploads the ledger holds and the database lacks (rebuild restores them)
        self._lock = threading.RLock()
        self._inflight: Counter[str] = Counter()
        memory = str(self.path) == ":memory:"
        self.uploads_dir = None if memory else self.path.parent / "uploads"
        self.ledger = None if memory else Ledger(self.uploads_dir)
        if not memory:
            self._check_location(create)
        self.limits = limits or Limits.from_env()
        try:
            self.con = duckdb.connect(str(self.path), read_only=self.read_only)
        except Exception as e:
            raise (translate(e, self.path, opening=True) or e) from e
        try:
            self._migrate()
            if not self.read_only and self.ledger is not None:
                from kam_metrics.ingest.maintenance import import_legacy_rules, reconcile  # they import Store

                reconcile(self)
                import_legacy_rules(self)
        except BaseException as e:
            self.con.close()
            fault = translate(e, self.path, opening=True)
            if fault is None or fault is e:
                raise
            raise fault from e

    def _check_location(self, create: str) -> None:
        folder = self.path.parent
        if not folder.is_dir():
            if create != "anywhere":
                raise StoreError("folder_missing", folder=folder)
            folder.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            if create == "never":
                raise StoreError("missing", path=self.path)
            if not _writable(folder):
                raise StoreError("not_writable", path=folder)
            self.created = True
            return
        uploads = self.uploads_dir
        if not self.read_only and not (
            _writable(self.path) and _writable(folder) and (not uploads.exists() or _writable(uploads))
        ):
            self.read_only = True

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._lock:
            cur = self.con.cursor()
            if self.read_only:
                row = cur.execute("select value from meta where key = 'schema_version'").fetchall()
                self._check_version(int(row[0][0]) if row else 0)
                return
            cur.execute("begin transaction")
            try:
                for stmt in ddl():
                    cur.execute(stmt)
                row = cur.execute("select value from meta where key = 'schema_version'").fetchall()
                version = int(row[0][0]) if row else 0
                self._check_version(version)
                migrations.upgrade(cur, version)
                cur.execute("insert or replace into meta values ('schema_version', ?)", [str(SCHEMA_VERSION)])
                cur.execute("insert or ignore into meta values ('data_version', '0')")
                cur.execute("commit")
            except BaseException:
                cur.execute("rollback")
                raise

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError("newer_schema", path=self.path, version=version)

    def _db_uploads(self) -> dict[int, tuple]:
        rows = self.cursor().execute(
            "select upload_id, file_name, sha256, stored_path, uploaded_at from uploads order by upload_id"
        )
        return {r[0]: tuple(r[1:]) for r in rows.fetchall()}

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

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError("read_only", path=self.path)

    @contextmanager
    def _writing(self, bump: bool = True):
        """One write transaction under the store's lock: commits (bumping the data version unless ``bump`` is
        False: accounts, sessions and the audit log change no result) or rolls back.

        A failed COMMIT is reported as itself (a full disk, a lost file), not as the rollback that follows.
        """
        with self._lock:
            self._check_writable()
            cur = self.cursor()
            cur.execute("begin transaction")
            try:
                yield cur
                if bump:
                    self._bump(cur)
                cur.execute("commit")
            except BaseException as e:
                with contextlib.suppress(duckdb.Error):
                    cur.execute("rollback")
                fault = translate(e, self.path)
                if fault is None or fault is e:
                    raise
                raise fault from e

    def _note(self, *records: dict) -> bool:
        """Append to the ledger after a commit; a failure here is caught up by the next open (_reconcile)."""
        try:
            self.ledger.append(*records)
            return True
        except OSError as e:
            log.warning("ledger %s not updated (the next open adds it): %s", self.ledger.path, e)
            return False

    @contextmanager
    def temp_dir(self):
        """A private temp folder beside the store (swept on the next open if a kill leaves it behind)."""
        if self.uploads_dir is None:
            with tempfile.TemporaryDirectory() as d:
                yield Path(d)
        else:
            with files.temp_dir(self.uploads_dir) as d:
                yield d

    # -- ingest ------------------------------------------------------------------------------
    def ingest(
        self,
        path: str | Path,
        name: str | None = None,
        progress: Callable[[float, str], None] | None = None,
        *,
        viewer: Viewer | None = None,
    ) -> IngestResult:
        """Read, normalise and store one file in one transaction.

        Raises UnreadableFile (nothing stored) when the file cannot be read at all, StoreError when the
        store cannot take it (read-only, disk full), roles.Refused when ``viewer`` may not upload. Rows that fail
        validation are stored as rejected; the rest of the file is stored.
        """
        audit.acting(viewer, "upload")
        self._check_writable()
        path = Path(path)
        name = name or path.name
        read, staged = self._read_and_stage(path, name, progress)  # refuses an oversized file unread
        return self.store_prepared(path, name, read, staged, viewer=viewer)

    def ingest_many(self, paths, *, viewer: Viewer | None = None, progress=None) -> list[IngestResult]:
        """Ingest files in order, each in its own transaction, the next read while one is stored (many.py)."""
        return many.ingest_many(self, paths, viewer=viewer, progress=progress)

    def store_prepared(
        self,
        path: Path,
        name: str,
        read,
        staged,
        *,
        viewer: Viewer | None = None,
        sha: str | None = None,
        pending: bool = True,
        next_pending=None,
    ) -> IngestResult:
        """Keep the file and store its already read and staged sheets (from ``ingest``, ``ingest_many`` or a
        worker process); ``sha``: the file's sha256 if known; ``pending``, ``next_pending``: many.ingest_each."""
        viewer = audit.acting(viewer, "upload")
        self._check_writable()
        sha = sha or sha256(path)
        stored = kept_name(sha, name) if self.uploads_dir is not None else None
        created = False
        if stored:
            self._inflight[stored] += 1
        try:
            if stored:
                if pending:
                    self.ledger.append_pending(stored)
                _, created = keep(self.uploads_dir, path, sha, name)
            with self._writing() as cur:
                upload_id = self._next_id(cur)
                at = dt.datetime.now().replace(microsecond=0)
                cur.execute(
                    "insert into uploads (upload_id, file_name, sha256, stored_path, uploaded_at, notes) values (?, ?, ?, ?, ?, ?)",
                    [upload_id, name, sha, stored, at, _json(read.notes)],
                )
                result = self._apply(cur, upload_id, name, sha, read, staged)
                audit.record(cur, viewer, "upload", name, upload_details(result), at=at)
                _before_commit_hook(cur)
            if stored:
                following = next_pending.name() if next_pending else None
                later = [Ledger.pending_record(following)] if following else []
                if self._note(Ledger.upload_record(upload_id, name, sha, stored, at), *later) and following:
                    next_pending.written = following
            return result
        except BaseException as e:
            if created:
                self._drop_orphan(stored)
            fault = translate(e, self.path)
            if fault is None or fault is e:
                raise
            raise fault from e
        finally:
            if stored:
                self._inflight[stored] -= 1

    def _next_id(self, cur) -> int:
        return next_upload_id(cur, self.ledger.max_upload_id() if self.ledger is not None else 0)

    def _drop_orphan(self, stored: str) -> None:
        """Remove a kept copy this failed upload wrote, unless another upload (live or in flight) uses it."""
        with self._lock, contextlib.suppress(Exception):
            if self._inflight[stored] > 1:
                return
            db = {row[2] for row in self._db_uploads().values()}
            if stored in db or stored in {r.get("stored") for r in self.ledger.live().values()}:
                return
            (self.uploads_dir / stored).unlink(missing_ok=True)
            self.ledger.append_swept(stored)

    def _read_and_stage(self, path: Path, name: str, progress=None):
        return read_and_stage(self.cursor(), path, name, self.limits, progress)

    def _apply(self, cur, upload_id: int, name: str, sha: str, read, staged) -> IngestResult:
        return apply_upload(cur, upload_id, name, sha, read, staged)

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
            self._apply(cur, upload_id, file_name, sha256(kept), read, staged)

    def _missing_files(self, uploads: list[tuple]) -> list[str]:
        return [u[1] for u in uploads if not (k := self._kept_file(u[2])) or not k.exists()]

    # -- ledger, undo, rebuild -----------------------------------------------------------------
    def uploads(self) -> pd.DataFrame:
        """The uploads ledger with per-upload totals, newest first."""
        return uploads_frame(self.cursor())

    def upload_sheets(self, upload_id: int) -> pd.DataFrame:
        return (
            self.cursor()
            .execute("select * from upload_sheets where upload_id = ? order by rowid", [upload_id])
            .df()
        )

    def undo(self, upload_id: int, *, viewer: Viewer | None = None) -> None:
        """Remove one upload: the store becomes what it would be had that upload never happened.

        The later uploads are re-derived from their stored and seen rows (undo.py), without reading any file.
        An upload stored before schema 6 has no seen rows: then, as before, the later uploads are re-read from
        their kept files. All of it is one transaction.
        """
        viewer = audit.acting(viewer, "undo")
        with self._lock:
            self._check_writable()
            cur = self.cursor()
            row = self._db_uploads().get(upload_id)
            if row is None:
                raise KeyError(f"no upload {upload_id}")
            in_place = undo.ready(cur, upload_id)
            later = []
            if not in_place:
                later = cur.execute(
                    "select upload_id, file_name, stored_path from uploads where upload_id > ? order by upload_id",
                    [upload_id],
                ).fetchall()
                missing = self._missing_files(later)
                if missing:
                    raise FileNotFoundError(
                        "cannot undo: the kept copies of later uploads are missing: " + ", ".join(missing)
                    )
            # The undo is written before the commit: a kill in between leaves the upload in the database,
            # and the next open writes it back into the ledger.
            self._ledger_change(lambda: self.ledger.append_undo(upload_id))
            try:
                with self._writing() as cur:
                    before = stored_rows(cur)
                    if in_place:
                        undo.undo_in_place(cur, upload_id)
                    else:
                        self._delete_from(cur, upload_id)
                        cur.execute("delete from uploads where upload_id = ?", [upload_id])
                        self._replay(cur, later)
                        undo.mark_ready_from(cur, upload_id)
                    details = {
                        "upload_id": upload_id,
                        "file": row[0],
                        "rows_removed": before - stored_rows(cur),
                    }
                    audit.record(cur, viewer, "undo", f"#{upload_id} {row[0]}", details)
            except BaseException:
                self._ledger_change(lambda: self._note(Ledger.upload_record(upload_id, *row)))
                raise

    def _ledger_change(self, write: Callable[[], None]) -> None:
        if self.ledger is None:
            return
        try:
            write()
        except OSError as e:
            raise (translate(e, self.ledger.path) or e) from e

    def _delete_from(self, cur, upload_id: int) -> None:
        for table in [k.name for k in SHEET_KINDS] + [
            "rejected",
            "warnings",
            "upload_sheets",
            *undo.SEEN_TABLES,
        ]:
            cur.execute(f"delete from {table} where upload_id >= ?", [upload_id])

    def clear(self, *, viewer: Viewer | None = None) -> None:
        """Remove every upload (the kept files stay on disk)."""
        viewer = audit.acting(viewer, "clear")
        with self._lock:
            self._check_writable()
            before = self._db_uploads()
            self._ledger_change(self.ledger.append_clear if self.ledger else lambda: None)
            try:
                with self._writing() as cur:
                    removed = stored_rows(cur)
                    self._delete_from(cur, 0)
                    cur.execute("delete from uploads")
                    audit.record(cur, viewer, "clear", "", {"uploads": len(before), "rows_removed": removed})
            except BaseException:
                self._ledger_change(
                    lambda: self._note(*[Ledger.upload_record(u, *r) for u, r in before.items()])
                )
                raise

    def rebuild(self, *, viewer: Viewer | None = None) -> int:
        """Re-read every upload from its kept file; returns the number of files.

        The uploads are the union of the database's and the ledger's (uploads/ledger.jsonl, which survives
        the loss of the database or of its WAL), in upload order, then any kept file neither names, oldest
        first (its hash stands in for the lost display name).
        """
        from kam_metrics.ingest.maintenance import rebuild_entries  # it imports Store

        viewer = audit.acting(viewer, "rebuild")
        with self._lock:
            self._check_writable()
            entries, new_records = rebuild_entries(self, self._db_uploads())
            uploads = [(uid, e[0], e[2]) for uid, e in sorted(entries.items())]
            missing = self._missing_files(uploads)
            if missing:
                raise FileNotFoundError("cannot rebuild: kept files are missing: " + ", ".join(missing))
            notes = dict(self.cursor().execute("select upload_id, notes from uploads").fetchall())
            with self._writing() as cur:
                self._delete_from(cur, 0)
                cur.execute("delete from uploads")
                for uid, (file_name, sha, stored, at) in sorted(entries.items()):
                    sha = sha or sha256(self._kept_file(stored))
                    cur.execute(
                        "insert into uploads (upload_id, file_name, sha256, stored_path, uploaded_at, notes) values (?, ?, ?, ?, ?, ?)",
                        [uid, file_name, sha, stored, at, notes.get(uid, "[]")],
                    )
                self._replay(cur, uploads)
                undo.mark_ready_from(cur, 0)  # every upload was stored again with its seen rows
                details = {"uploads": len(uploads), "rows": stored_rows(cur)}
                audit.record(cur, viewer, "rebuild", "", details)
            if self.ledger is not None:
                self._note(*new_records)
            self.ledger_ahead = 0
            return len(uploads)

    def backup(self, out: str | Path) -> int:
        """A consistent copy in ``out`` (see maintenance.backup); returns the number of kept files copied."""
        from kam_metrics.ingest.maintenance import backup

        return backup(self, out)

    def counts(self) -> dict[str, int]:
        """Stored rows per table (for tests and the upload page)."""
        cur = self.cursor()
        names = [k.name for k in SHEET_KINDS] + ["rejected", "warnings", "uploads"]
        return {n: cur.execute(f"select count(*) from {n}").fetchall()[0][0] for n in names}


def _before_commit_hook(cur: duckdb.DuckDBPyConnection) -> None:
    """Called inside every upload transaction just before COMMIT; tests replace it to inject a failure."""


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


__all__ = [
    "Store",
    "StoreError",
    "IngestResult",
    "SheetCounts",
    "UnreadableFile",
    "default_db_path",
    "READ_ONLY_BANNER",
]
