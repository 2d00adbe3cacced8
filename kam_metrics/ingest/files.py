"""Beside the database: the kept copy of every upload (named by its hash), the append-only ledger
(uploads/ledger.jsonl) and the sweep of leftovers (``.part`` files, temp folders, orphan kept copies)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

LEDGER = "ledger.jsonl"
TEMP = ".tmp"
# Only a known spreadsheet suffix is carried over to the kept name: the rest of a display name (any length,
# any characters) lives in the ledger and the database, never in a path.
KEPT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def kept_name(sha: str, display_name: str) -> str:
    suffix = os.path.splitext(display_name)[1].lower()
    return sha + (suffix if suffix in KEPT_SUFFIXES else "")


def is_kept_name(name: str) -> bool:
    stem, suffix = os.path.splitext(name)
    return len(stem) == 64 and all(c in "0123456789abcdef" for c in stem) and suffix in KEPT_SUFFIXES + ("",)


def keep(uploads_dir: Path, source: Path, sha: str, display_name: str) -> tuple[Path, bool]:
    """Copy ``source`` to its kept name (atomically, through a ``.part`` file); returns (path, created)."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    target = uploads_dir / kept_name(sha, display_name)
    if target.exists():
        return target, False
    # A temp name of its own: two sessions uploading the same file at once must not share one.
    fd, tmp = tempfile.mkstemp(dir=uploads_dir, prefix=f".{sha[:12]}-", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target, True


@contextlib.contextmanager
def temp_dir(uploads_dir: Path):
    """A private folder under uploads/.tmp (short random name), removed on exit and swept on the next open."""
    base = uploads_dir / TEMP
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_leftovers(uploads_dir: Path) -> list[Path]:
    """Remove ``.part`` files and temp folders a killed or failed upload left behind; returns what went."""
    removed: list[Path] = []
    if not uploads_dir.is_dir():
        return removed
    for p in uploads_dir.glob(".*.part"):
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    ledger_part = uploads_dir / f"{LEDGER}.part"  # written by the previous version
    if ledger_part.exists():
        with contextlib.suppress(OSError):
            ledger_part.unlink()
            removed.append(ledger_part)
    temp = uploads_dir / TEMP
    if temp.is_dir():
        for p in temp.iterdir():
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _record(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:  # a line torn by a kill while it was written
        return None
    return record if isinstance(record, dict) else None


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


class Ledger:
    """uploads/ledger.jsonl: one JSON record per line, only ever appended to.

    Records: an upload (``op`` "upload", or no ``op`` in files of schema 1) with upload_id, file_name, sha256,
    stored and uploaded_at; ``pending`` (a kept copy written for an upload not yet committed); ``undo``
    (upload_id); ``clear``; ``swept`` (an orphan kept copy removed). The live uploads are what replaying
    the records in order leaves.
    """

    def __init__(self, uploads_dir: Path) -> None:
        self.dir = uploads_dir
        self.path = uploads_dir / LEDGER
        self._seen: tuple[int, int] | None = None  # (inode, bytes) of the file max_upload_id has read
        self._max_id = 0

    def max_upload_id(self) -> int:
        """The highest upload id any record names (0: none), reading only what was appended since the last call.

        The ledger only grows, so the bytes already read cannot change; a file that shrank or was replaced
        (another inode) is read again from its start.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._seen, self._max_id = None, 0
            return 0
        start = 0
        if self._seen is not None and self._seen[0] == st.st_ino and self._seen[1] <= st.st_size:
            start = self._seen[1]
        else:
            self._max_id = 0
        if start < st.st_size:
            with open(self.path, "rb") as f:
                f.seek(start)
                tail = f.read()
            # Up to the last line break only: a line being written now is read whole next time.
            tail = tail[: tail.rfind(b"\n") + 1]
            for line in tail.decode("utf-8", errors="replace").splitlines():
                record = _record(line)
                if record is not None and "upload_id" in record:
                    self._max_id = max(self._max_id, int(record["upload_id"]))
            start += len(tail)
        self._seen = (st.st_ino, start)
        return self._max_id

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            record = _record(line)
            if record is not None:
                out.append(record)
        return out

    def append(self, *records: dict) -> None:
        if not records:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
        with open(self.path, "a+b") as f:
            f.seek(0, os.SEEK_END)
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":  # start after a torn line, never inside it
                    text = "\n" + text
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())

    @staticmethod
    def upload_record(upload_id: int, file_name: str, sha: str, stored: str | None, at: dt.datetime) -> dict:
        return {
            "op": "upload",
            "upload_id": int(upload_id),
            "file_name": file_name,
            "sha256": sha,
            "stored": stored,
            "uploaded_at": at.isoformat(),
        }

    @staticmethod
    def pending_record(stored: str) -> dict:
        return {"op": "pending", "stored": stored, "at": _now()}

    def append_pending(self, stored: str) -> None:
        self.append(self.pending_record(stored))

    def append_undo(self, upload_id: int) -> None:
        self.append({"op": "undo", "upload_id": int(upload_id), "at": _now()})

    def append_clear(self) -> None:
        self.append({"op": "clear", "at": _now()})

    def live(self, records: list[dict] | None = None) -> dict[int, dict]:
        """The uploads the ledger holds now, by upload id (ascending)."""
        live: dict[int, dict] = {}
        for r in self.records() if records is None else records:
            op = r.get("op", "upload")
            if op == "upload" and "upload_id" in r:
                live[int(r["upload_id"])] = r
            elif op == "undo":
                live.pop(int(r["upload_id"]), None)
            elif op == "clear":
                live.clear()
        return dict(sorted(live.items()))

    def orphans(self, records: list[dict], referenced: set[str]) -> list[str]:
        """Kept names written for an upload that never committed (``pending`` and no upload record names them)."""
        uploaded = {r.get("stored") for r in records if r.get("op", "upload") == "upload"}
        swept = {r.get("stored") for r in records if r.get("op") == "swept"}
        pending = [r["stored"] for r in records if r.get("op") == "pending" and r.get("stored")]
        return sorted({s for s in pending if s not in uploaded | swept | referenced})

    def mentioned(self, records: list[dict]) -> set[str]:
        """Every kept name any record names (live, undone, cleared or swept)."""
        return {r["stored"] for r in records if r.get("stored")}

    def append_swept(self, stored: str) -> None:
        self.append({"op": "swept", "stored": stored, "at": _now()})
