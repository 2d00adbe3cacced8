"""The upload page's ingest in a worker process: reading and normalising a big file there leaves this
server's GIL to the other sessions' page runs (issue 11 item 5); the rows are stored here, in one transaction.

``try_ingest`` stands in for kam_metrics.present.upload.try_ingest (same arguments, same UploadOutcome).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kam_metrics.access.roles import Viewer
from kam_metrics.ingest.faults import StoreError
from kam_metrics.ingest.reader import UnreadableFile
from kam_metrics.ingest.store import IngestResult, Store
from kam_metrics.ingest.worker import ingest_in_process
from kam_metrics.present import upload
from kam_metrics.present.upload import UploadOutcome

# Below this size a file is read in the server itself: it holds the GIL for well under a second, while
# starting a worker process (a fresh interpreter importing duckdb and pandas) costs about that much.
IN_PROCESS_BYTES = 1 << 20


def ingest_bytes(
    store: Store,
    name: str,
    data: bytes,
    progress: Callable[[float, str], None] | None = None,
    in_process_bytes: int = IN_PROCESS_BYTES,
    viewer: Viewer | None = None,
) -> IngestResult:
    """Store one uploaded file (its bytes under its own ``name``, the display name; a CSV's name is its sheet
    name) for ``viewer`` (the audit log names its login). Raises UnreadableFile (nothing stored), StoreError
    (read-only store, full disk) and roles.Refused (a viewer that may not upload).

    The bytes go to a short fixed file name in the store's temp folder (swept on the next open if a kill
    leaves it), so a name longer than the file system allows is still stored under its full name."""
    if store.read_only:  # before the temp folder, which a read-only uploads/ cannot hold
        raise StoreError("read_only", path=store.path)
    with store.temp_dir() as tmp:
        path = Path(tmp) / ("upload" + Path(name).suffix.lower()[:16])
        path.write_bytes(data)
        if len(data) < in_process_bytes:
            return store.ingest(path, name=name, progress=progress, viewer=viewer)
        return ingest_in_process(store, path, name, progress, viewer=viewer)


def try_ingest(
    store: Store,
    name: str,
    data: bytes,
    progress: Callable[[float, str], None] | None = None,
    in_process_bytes: int = IN_PROCESS_BYTES,
    viewer: Viewer | None = None,
) -> UploadOutcome:
    """ingest_bytes that turns an unreadable file into an outcome (the batch's other files are still stored); an
    unsupported type is refused before anything is read, and a repeat names the upload it repeats, exactly as
    kam_metrics.present.upload.try_ingest does."""
    if not upload.accepted(name):
        return UploadOutcome(file=name, error_code="type")
    repeat = upload.earlier_upload(store.uploads(), upload.sha256(data))
    try:
        result = ingest_bytes(store, name, data, progress, in_process_bytes, viewer)
        return UploadOutcome(file=name, result=result, repeat_of=repeat)
    except UnreadableFile as e:
        return UploadOutcome(file=name, error_code=e.code, error_values=dict(e.values))
