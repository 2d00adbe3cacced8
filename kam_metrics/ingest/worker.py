"""One upload's reading and normalising in a worker process (its own GIL), with progress reported back;
the calling process then stores the staged sheets in one transaction, as Store.ingest does."""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import queue as queues
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path

from kam_metrics.access import audit
from kam_metrics.access.roles import Viewer
from kam_metrics.ingest.reader import Limits, UnreadableFile
from kam_metrics.ingest.schema import IngestResult
from kam_metrics.ingest.store import Store, read_and_stage

POLL_SECONDS = 0.1
_MAIN_LOCK = threading.Lock()


def ingest_in_process(
    store: Store | str | Path,
    file_path: str | Path,
    display_name: str | None = None,
    progress_callback: Callable[[float, str], None] | None = None,
    *,
    viewer: Viewer | None = None,
) -> IngestResult:
    """Store.ingest with the heavy part (reading, parsing, normalising) in a child process.

    The child cannot open the store itself (DuckDB lets one process write it, and the dashboard holds it),
    so it hands the staged sheets back through a pickle file in the store's temp folder. Raises what
    Store.ingest raises: UnreadableFile (nothing stored), StoreError, roles.Refused (``viewer`` may not upload).
    """
    audit.acting(viewer, "upload")  # refused before the file is read
    if not isinstance(store, Store):
        with _opened(store) as opened:
            return ingest_in_process(opened, file_path, display_name, progress_callback, viewer=viewer)
    file_path = Path(file_path)
    name = display_name or file_path.name
    store._check_writable()
    ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads (the server)
    messages = ctx.Queue()
    with store.temp_dir() as tmp:
        out = tmp / "staged.pickle"
        child = ctx.Process(
            target=_child, args=(str(file_path), name, store.limits, str(out), messages), daemon=True
        )
        with _main_hidden():
            child.start()
        try:
            _follow(child, messages, progress_callback)
            with open(out, "rb") as f:
                read, staged = pickle.load(f)
        finally:
            if child.is_alive():
                child.kill()
            child.join()
        return store.store_prepared(file_path, name, read, staged, viewer=viewer)


def _follow(child, messages, progress_callback) -> None:
    """Relay the child's progress until it reports done; re-raise what it could not do."""
    while True:
        try:
            message = messages.get(timeout=POLL_SECONDS)
        except queues.Empty:
            if not child.is_alive() and messages.empty():
                raise RuntimeError(
                    f"the reading process ended unexpectedly (exit code {child.exitcode})"
                ) from None
            continue
        kind = message[0]
        if kind == "progress":
            if progress_callback:
                progress_callback(message[1], message[2])
        elif kind == "done":
            return
        elif kind == "unreadable":
            raise UnreadableFile(message[1], **message[2])
        else:
            raise RuntimeError(message[1])


def _child(path: str, name: str, limits: Limits, out: str, messages) -> None:
    import duckdb

    try:
        con = duckdb.connect()
        read, staged = read_and_stage(
            con.cursor(), Path(path), name, limits, lambda f, s: messages.put(("progress", f, s))
        )
        with open(out, "wb") as f:
            pickle.dump((read, staged), f, protocol=5)
        messages.put(("done",))
    except UnreadableFile as e:
        messages.put(("unreadable", e.code, e.values))
    except Exception as e:  # reported to the parent as one line, never lost with the process
        messages.put(("error", f"{type(e).__name__}: {e}"))


@contextlib.contextmanager
def _main_hidden():
    """Start the child without re-running this process's main script: under Streamlit, __main__ is the app
    script itself (its script runner installs it), which spawn would otherwise run again in the child."""
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class _opened:
    def __init__(self, path) -> None:
        self.store = Store(path, create="in_folder")

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc) -> None:
        self.store.close()
