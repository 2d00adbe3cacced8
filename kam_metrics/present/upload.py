"""The upload page's view: what each uploaded file gave (and refused), the uploads ledger, every rejected row.

Also the page's one action, storing an uploaded file's bytes, which turns an unreadable file into an outcome.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from kam_metrics.engine.report import Results, describe_problems, describe_warning
from kam_metrics.i18n import t
from kam_metrics.ingest.reader import UnreadableFile
from kam_metrics.ingest.store import IngestResult, Store
from kam_metrics.present.format import mask_text, shown, stamp, word

COUNTS = ["read", "accepted", "duplicates", "rejected", "warnings"]


# -- storing a file ------------------------------------------------------------------------------
def ingest_bytes(
    store: Store, name: str, data: bytes, progress: Callable[[float, str], None] | None = None
) -> IngestResult:
    """Store one uploaded file (its bytes under its own name; a CSV's name is its sheet name).

    Raises kam_metrics.ingest.reader.UnreadableFile when nothing of it can be read; then nothing is stored.
    """
    with tempfile.TemporaryDirectory(prefix="kam-upload-") as tmp:
        path = Path(tmp) / (Path(name).name or "upload")
        path.write_bytes(data)
        return store.ingest(path, name=name, progress=progress)


@dataclasses.dataclass
class UploadOutcome:
    """What became of one uploaded file: its IngestResult, or why nothing of it could be read."""

    file: str
    result: IngestResult | None = None
    error_code: str | None = None
    error_values: dict = dataclasses.field(default_factory=dict)


def try_ingest(
    store: Store, name: str, data: bytes, progress: Callable[[float, str], None] | None = None
) -> UploadOutcome:
    """ingest_bytes that turns an unreadable file into an outcome instead of an exception (other files
    of the same batch are still stored)."""
    try:
        return UploadOutcome(file=name, result=ingest_bytes(store, name, data, progress))
    except UnreadableFile as e:
        return UploadOutcome(file=name, error_code=e.code, error_values=dict(e.values))


# -- one file's outcome --------------------------------------------------------------------------
def unreadable_text(outcome: UploadOutcome, lang: str) -> str:
    """One line naming the file and why it could not be read."""
    reason = t(f"unreadable.{outcome.error_code}", lang, **outcome.error_values)
    return t("ui.upload.unreadable", lang, file=outcome.file, reason=reason)


def upload_summary(result: IngestResult, lang: str) -> str:
    """``2026-W37_周报.xlsx: 6 sheets, 1,234 rows read, 1,230 accepted (12 duplicates), 4 rejected, 1 warning``."""
    total = {k: sum(getattr(c, k) for c in result.sheets) for k in COUNTS}
    return t("ui.upload.summary", lang, file=result.file, sheets=len(result.sheets), **total)


def sheet_counts(result: IngestResult, lang: str) -> pd.DataFrame:
    """Per recognised sheet of one upload: kind (as a word) and read / accepted / duplicates / rejected / warnings."""
    rows = [
        {"sheet": c.sheet, "kind": word("kind", c.kind, lang), **{k: getattr(c, k) for k in COUNTS}}
        for c in result.sheets
    ]
    return shown(rows, ["sheet", "kind", *COUNTS], lang)


def upload_notes(result: IngestResult, lang: str) -> list[str]:
    """Readable notes of one upload (sheets that were ignored, and why)."""
    return [t(key, lang, **values) for key, values in result.notes]


def _raw_text(raw: object) -> str:
    try:
        values = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except (TypeError, ValueError):
        return mask_text(raw)
    return mask_text("; ".join(f"{k}={'' if v is None else v}" for k, v in values.items()))


def upload_rejected(result: IngestResult, lang: str) -> pd.DataFrame:
    """Rejected rows of one upload with readable reasons; phone numbers in raw values masked."""
    rows = [
        {
            "sheet": r["sheet"],
            "row": r["row"],
            "reason": mask_text(describe_problems(r["problems"], lang)),
            "raw": _raw_text(r["raw"]),
        }
        for r in result.rejected
    ]
    return shown(rows, ["sheet", "row", "reason", "raw"], lang)


def upload_warnings(result: IngestResult, lang: str) -> pd.DataFrame:
    """Warnings of one upload with readable reasons."""
    rows = [
        {
            "sheet": w["sheet"],
            "row": w["row"],
            "column": w["column"],
            "reason": mask_text(describe_warning(w["code"], w["column"], w.get("value"), lang)),
        }
        for w in result.warnings
    ]
    return shown(rows, ["sheet", "row", "column", "reason"], lang)


# -- the ledger ----------------------------------------------------------------------------------
def ledger(uploads: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The uploads ledger as shown: number, file, time and counts, newest first."""
    rows = [
        {
            "upload_id": int(r.upload_id),
            "file": r.file_name,
            "uploaded_at": stamp(r.uploaded_at, seconds=True),
            "read": int(r.rows_read),
            **{k: int(getattr(r, k)) for k in COUNTS[1:]},
        }
        for r in uploads.itertuples(index=False)
    ]
    return shown(rows, ["upload_id", "file", "uploaded_at", *COUNTS], lang)


def upload_label(uploads: pd.DataFrame, upload_id: int) -> str:
    """``#3 · 2026-W39_周报.xlsx · 2026-11-27 06:15`` for a pick list."""
    row = uploads[uploads["upload_id"] == upload_id].iloc[0]
    return f"#{upload_id} · {row['file_name']} · {stamp(row['uploaded_at'], seconds=True)}"


def all_rejected(results: Results | None, lang: str) -> pd.DataFrame:
    """Every stored rejected row (all uploads) with readable reasons (none without results)."""
    frame = results.rejected if results is not None else pd.DataFrame(columns=["file", "sheet", "row"])
    rows = [
        {
            "file": r.file,
            "sheet": r.sheet,
            "row": int(r.row),
            "reason": mask_text(describe_problems(r.problems, lang)),
            "raw": _raw_text(r.raw),
        }
        for r in frame.itertuples(index=False)
    ]
    return shown(rows, ["file", "sheet", "row", "reason", "raw"], lang)


# -- the page ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FileShown:
    """One uploaded file as the page shows it: an error line, or its summary, counts, notes and refusals."""

    key: str
    error: str | None = None
    summary: str = ""
    counts: pd.DataFrame | None = None  # None: no sheet of the file was recognised
    notes: list[str] = dataclasses.field(default_factory=list)
    rejected: pd.DataFrame | None = None  # None: nothing rejected
    warnings: pd.DataFrame | None = None  # None: no warning


@dataclasses.dataclass(frozen=True)
class UploadView:
    """The upload page: this session's files, the ledger (newest first), undo labels and every rejected row."""

    files: list[FileShown]
    ledger: pd.DataFrame
    upload_ids: list[int]
    upload_labels: dict[int, str]
    rejected: pd.DataFrame


def file_shown(key: str, outcome: UploadOutcome, lang: str) -> FileShown:
    """What the page shows for one uploaded file."""
    result = outcome.result
    if result is None:
        return FileShown(key=key, error=unreadable_text(outcome, lang))
    return FileShown(
        key=key,
        summary=upload_summary(result, lang),
        counts=sheet_counts(result, lang) if result.sheets else None,
        notes=upload_notes(result, lang),
        rejected=upload_rejected(result, lang) if result.rejected else None,
        warnings=upload_warnings(result, lang) if result.warnings else None,
    )


def view(
    results: Results | None,
    lang: str,
    uploads: pd.DataFrame | None = None,
    outcomes: Iterable[tuple[str, UploadOutcome]] = (),
) -> UploadView:
    """The upload page for ``outcomes`` (key, outcome) of this session, the store's ``uploads`` ledger
    (Store.uploads(); None: none) and the rejected rows of ``results`` (None: none)."""
    uploads = uploads if uploads is not None else pd.DataFrame(columns=["upload_id", "file_name"])
    ids = [int(x) for x in uploads["upload_id"]]
    return UploadView(
        files=[file_shown(key, outcome, lang) for key, outcome in outcomes],
        ledger=ledger(uploads, lang) if ids else pd.DataFrame(),
        upload_ids=ids,
        upload_labels={i: upload_label(uploads, i) for i in ids},
        rejected=all_rejected(results, lang),
    )
