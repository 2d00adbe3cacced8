"""Store faults as one clear message: StoreError (a locale key under ``store.`` plus values) and the translation
of DuckDB's and the operating system's errors into it."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import duckdb

from kam_metrics.i18n import DEFAULT_LANG, t


class StoreError(Exception):
    """A store fault the user can act on; ``code`` is a locale key suffix (store.<code>), ``values`` fill it."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(f"{code}: {values}")
        self.code = code
        self.values = values

    def message(self, lang: str = DEFAULT_LANG) -> str:
        """The one-line message in ``lang``, naming the file and what to do."""
        return t(f"store.{self.code}", lang, **self.values)


_PID = re.compile(r"\(PID (\d+)\)")


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    return "no space left" in str(error).lower()


def translate(error: BaseException, path: Path, *, opening: bool = False) -> StoreError | None:
    """The StoreError for a DuckDB or OS error on the store at ``path``, or None when it is not a store fault.

    ``opening`` says the error came from connecting, where any DuckDB error means the file is unusable.
    """
    if isinstance(error, StoreError):
        return error
    text = str(error)
    if is_disk_full(error):
        return StoreError("disk_full", path=path.parent)
    if "Could not set lock" in text:
        pid = _PID.search(text)
        return StoreError("locked_pid" if pid else "locked", path=path, pid=pid.group(1) if pid else "")
    if "replaying WAL" in text or "Corrupt WAL" in text:
        return StoreError("wal_damaged", path=path, wal=f"{path}.wal")
    if isinstance(error, PermissionError) or "Permission denied" in text or "read-only file system" in text:
        return StoreError("not_writable", path=path)
    if opening and isinstance(error, duckdb.Error):
        return StoreError("corrupt", path=path)
    return None
