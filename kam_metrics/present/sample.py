"""The bundled demo data as the dashboard offers it: where it lives, whether the store holds only it, loading it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from kam_metrics.ingest.store import IngestResult, Store

_BUNDLED = Path(__file__).resolve().parents[2] / "data" / "sample"


def sample_dir() -> Path:
    """$KAM_SAMPLE (read now, so a test or a server can set it after import), default data/sample."""
    return Path(os.environ.get("KAM_SAMPLE") or _BUNDLED)


def sample_files(folder: Path | None = None) -> list[Path]:
    """The bundled demo workbooks in name order (written with kam_metrics.demo.sample when the folder is empty)."""
    folder = Path(folder or sample_dir())
    files = sorted(folder.glob("*.xlsx"))
    if not files:
        from kam_metrics.demo.sample import write_sample

        files = sorted(p for p in write_sample(folder) if p.suffix == ".xlsx")
    return files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_sample_digest(digest: str, folder: Path | None = None) -> bool:
    """Whether a file with sha256 ``digest`` is one of the bundled sample workbooks (uploading the sample
    again is not real data mixing with it)."""
    folder = Path(folder or sample_dir())
    return digest in {_sha256(p) for p in sorted(folder.glob("*.xlsx"))}


def is_sample(uploads: pd.DataFrame, folder: Path | None = None) -> bool:
    """True when the store holds uploads and every one of them is a bundled sample file (by sha256)."""
    if uploads.empty:
        return False
    folder = Path(folder or sample_dir())
    hashes = {_sha256(p) for p in sorted(folder.glob("*.xlsx"))}
    return bool(hashes) and set(uploads["sha256"]) <= hashes


def load_sample(
    store: Store, folder: Path | None = None, progress: Callable[[float, str], None] | None = None
) -> list[IngestResult]:
    """Ingest every sample workbook in name order; ``progress(fraction, file name)`` after each file."""
    files = sample_files(folder)
    results = []
    for i, path in enumerate(files):
        if progress:
            progress(i / len(files), path.name)
        results.append(store.ingest(path))
    if progress:
        progress(1.0, "")
    return results
