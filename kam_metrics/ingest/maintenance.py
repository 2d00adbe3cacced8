"""Store maintenance beyond one upload: a consistent backup, reopening a damaged store for a rebuild, what a
rebuild restores, reconciling the ledger on open, and the once-only import of the legacy rules file."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from pathlib import Path

from kam_metrics.ingest.faults import StoreError, translate
from kam_metrics.ingest.files import Ledger, is_kept_name, sha256, sweep_leftovers
from kam_metrics.ingest.reader import Limits
from kam_metrics.ingest.store import Store


def backup(store: Store, out: str | Path) -> int:
    """A consistent copy in ``out``: CHECKPOINT, then the database, the kept files, the ledger last.

    Returns the number of kept files copied. Safe while the dashboard (this process) runs: no write
    can start while the store's lock is held.
    """
    out = Path(out)
    target = out / store.path.name
    if target.exists():
        raise StoreError("backup_exists", path=out)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with store._lock:
        try:
            if not store.read_only:
                store.cursor().execute("checkpoint")
            shutil.copy2(store.path, target)
            wal = Path(f"{store.path}.wal")
            if wal.exists() and wal.stat().st_size:  # a read-only store cannot checkpoint
                shutil.copy2(wal, Path(f"{target}.wal"))
            if store.uploads_dir is not None and store.uploads_dir.is_dir():
                (out / "uploads").mkdir(exist_ok=True)
                for p in sorted(store.uploads_dir.iterdir()):
                    if is_kept_name(p.name):
                        shutil.copy2(p, out / "uploads" / p.name)
                        count += 1
                if store.ledger.path.exists():
                    shutil.copy2(store.ledger.path, out / "uploads" / store.ledger.path.name)
        except OSError as e:
            raise (translate(e, target) or e) from e
    return count


def open_for_rebuild(path: str | Path, limits: Limits | None = None) -> tuple[Store, Path | None]:
    """Open a store to rebuild it; a database that cannot be opened (damaged file or WAL) is moved aside
    under a timestamped name, never deleted, and a fresh one is created. Returns (store, moved-to path)."""
    path = Path(path)
    try:
        return Store(path, limits, create="in_folder"), None
    except StoreError as e:
        if e.code not in ("corrupt", "wal_damaged"):
            raise
    aside = path.with_name(f"{path.name}.broken-{dt.datetime.now():%Y%m%dT%H%M%S}")
    os.replace(path, aside)
    wal = Path(f"{path}.wal")
    if wal.exists():
        os.replace(wal, Path(f"{aside}.wal"))
    return Store(path, limits, create="in_folder"), aside


def reconcile(store: Store) -> None:
    """On open: sweep leftovers, add committed uploads the ledger lacks, drop orphan kept copies.

    The ledger only grows: uploads it holds and the database lacks (a copy without its WAL, a lost WAL)
    stay in it, are counted in ``ledger_ahead`` and come back with ``rebuild``.
    """
    sweep_leftovers(store.uploads_dir)
    records = store.ledger.records()
    live = store.ledger.live(records)
    db = store._db_uploads()
    store.ledger.append(*[Ledger.upload_record(uid, *row) for uid, row in db.items() if uid not in live])
    store.ledger_ahead = sum(1 for uid in live if uid not in db)
    referenced = {row[2] for row in db.values()} | {r.get("stored") for r in live.values()}
    for stored in store.ledger.orphans(records, referenced):
        (store.uploads_dir / stored).unlink(missing_ok=True)
        store.ledger.append_swept(stored)


def rebuild_entries(store: Store, db: dict[int, tuple]) -> tuple[dict[int, tuple], list[dict]]:
    """The uploads a rebuild restores, by id (file name, sha256 or None, kept file, uploaded at), and the ledger
    records of the kept files neither the database (``db``) nor the ledger names (they get new ids, oldest first)."""
    entries = dict(db)
    records = store.ledger.records() if store.ledger else []
    for uid, r in (store.ledger.live(records) if store.ledger else {}).items():
        at = dt.datetime.fromisoformat(r["uploaded_at"]) if r.get("uploaded_at") else _now()
        entries.setdefault(uid, (r["file_name"], r.get("sha256"), r.get("stored"), at))
    new_records = []
    if store.uploads_dir is not None and store.uploads_dir.is_dir():
        named = store.ledger.mentioned(records) | {row[2] for row in db.values() if row[2]}
        unnamed = [p for p in store.uploads_dir.iterdir() if is_kept_name(p.name) and p.name not in named]
        next_id = max(entries, default=0) + 1
        for p in sorted(unnamed, key=lambda p: (p.stat().st_mtime, p.name)):
            at = dt.datetime.fromtimestamp(int(p.stat().st_mtime))
            entries[next_id] = (p.name, None, p.name, at)
            new_records.append(Ledger.upload_record(next_id, p.name, sha256(p), p.name, at))
            next_id += 1
    return entries, new_records


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def import_legacy_rules(store: Store) -> bool:
    """On opening a writable store: import ``rules.toml`` beside it once (SPEC §6 v1.2: the rules live in the
    store; nothing happens once any version is stored). A refused file is logged and the store still opens:
    the defaults stay in force and ``rules set`` names the problem."""
    from kam_metrics.contract.rules import RulesError
    from kam_metrics.ingest.rules_table import import_legacy_rules_file

    try:
        return import_legacy_rules_file(store, store.path.parent / "rules.toml", "import")
    except RulesError as e:
        logging.getLogger(__name__).warning("%s not imported: %s", store.path.parent / "rules.toml", e)
        return False
