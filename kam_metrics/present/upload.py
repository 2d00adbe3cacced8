"""The upload page's view: what each uploaded file gave (and refused), the uploads ledger, every rejected row.

Also the page's one action, storing an uploaded file's bytes, which turns an unreadable file into an outcome.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from kam_metrics.access.roles import Viewer, require_page
from kam_metrics.access.scope import scope
from kam_metrics.contract.sheets import SHEET_KINDS
from kam_metrics.engine.report import Results, describe_problems, describe_warning
from kam_metrics.i18n import t
from kam_metrics.ingest.reader import CSV_EXTENSIONS, EXCEL_EXTENSIONS, UnreadableFile
from kam_metrics.ingest.store import IngestResult, Store
from kam_metrics.present.format import day, mask_text, money, shown, stamp, word

COUNTS = ["read", "accepted", "duplicates", "rejected", "warnings"]
ACCEPTED = EXCEL_EXTENSIONS + CSV_EXTENSIONS


def accepted(name: str) -> bool:
    """Whether a file's name ends in a type the reader takes (the uploader accepts every type, so the
    refusal is ours, in the user's language)."""
    return Path(name).suffix.lower() in ACCEPTED


def refused_text(name: str, lang: str) -> str:
    """``报告.pdf 不是支持的文件类型；请上传 .xlsx .xlsm .xls .ods .csv .txt .tsv 文件``."""
    return t("ux.upload.refused", lang, file=name, types=" ".join(ACCEPTED))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
    """What became of one uploaded file: its IngestResult, or why nothing of it could be read.

    ``repeat_of`` is (upload id, upload time) of an earlier upload of the very same bytes, ``change`` the
    money and flag totals the upload changed (``money_change``), ``batch`` the page's upload round."""

    file: str
    result: IngestResult | None = None
    error_code: str | None = None
    error_values: dict = dataclasses.field(default_factory=dict)
    repeat_of: tuple[int, object] | None = None
    change: dict | None = None
    batch: int = 0


def earlier_upload(uploads: pd.DataFrame | None, digest: str) -> tuple[int, object] | None:
    """(id, time) of the first stored upload with sha256 ``digest``, or None (derived from the ledger:
    IngestResult does not name the upload it repeats)."""
    if uploads is None or uploads.empty:
        return None
    same = uploads[uploads["sha256"] == digest]
    if same.empty:
        return None
    first = same.sort_values("upload_id").iloc[0]
    return int(first["upload_id"]), first["uploaded_at"]


def try_ingest(
    store: Store, name: str, data: bytes, progress: Callable[[float, str], None] | None = None
) -> UploadOutcome:
    """ingest_bytes that turns an unreadable file into an outcome instead of an exception (other files
    of the same batch are still stored). An unsupported type is refused before anything is read."""
    if not accepted(name):
        return UploadOutcome(file=name, error_code="type")
    repeat = earlier_upload(store.uploads(), sha256(data))
    try:
        return UploadOutcome(file=name, result=ingest_bytes(store, name, data, progress), repeat_of=repeat)
    except UnreadableFile as e:
        return UploadOutcome(file=name, error_code=e.code, error_values=dict(e.values))


# -- what an upload changed ----------------------------------------------------------------------
def totals(results: Results | None) -> dict:
    """Team fines, commission after clawbacks and flagged KAMs of ``results`` (zeros without data)."""
    if results is None or results.summary.empty:
        return {"fines": Decimal("0.00"), "commission": Decimal("0.00"), "flagged": 0}
    s = results.summary
    return {
        "fines": sum(s["fines_total"], Decimal("0.00")),
        "commission": sum(s["commission_total"], Decimal("0.00")) - sum(s["clawback_total"], Decimal("0.00")),
        "flagged": int((s["flag"] != "").sum()),
    }


def money_change(before: dict, after: dict) -> dict:
    """The change from one ``totals`` to the next."""
    return {k: after[k] - before[k] for k in before}


def _signed_money(value: Decimal) -> str:
    return ("+" if value >= 0 else "") + money(value)


def change_text(change: dict, lang: str) -> str:
    """``本次上传使罚款 +¥100.00、佣金 +¥0.00、标记 +1``."""
    flagged = change["flagged"]
    return t(
        "ux.upload.changed",
        lang,
        fines=_signed_money(change["fines"]),
        commission=_signed_money(change["commission"]),
        flagged=f"+{flagged}" if flagged >= 0 else str(flagged),
    )


def new_rows(result: IngestResult) -> int:
    """Rows this upload stored that the store did not hold yet."""
    return sum(c.accepted - c.duplicates for c in result.sheets)


def repeat_text(outcome: UploadOutcome, lang: str) -> str | None:
    """``此文件已于 2026-11-27 06:15:02 上传过（#11），这次没有改变任何数据`` for a file stored before (None
    otherwise); when the repeat still stored new rows (an earlier upload was undone since) it says how many."""
    if outcome.repeat_of is None or outcome.result is None:
        return None
    upload_id, at = outcome.repeat_of
    rows = new_rows(outcome.result)
    key = "ux.upload.repeat_nothing" if rows == 0 else "ux.upload.repeat_rows"
    return t(key, lang, time=stamp(at, seconds=True), upload=f"#{upload_id}", n=rows)


# -- what an undo removes ------------------------------------------------------------------------
def stored_rows(store: Store, upload_id: int) -> list[tuple[str, str, int]]:
    """(sheet, kind, rows) stored under ``upload_id``, in the order of the sheet kinds."""
    cur = store.cursor()
    out = []
    for kind in SHEET_KINDS:
        rows = cur.execute(
            f"select sheet, count(*) from {kind.name} where upload_id = ? group by sheet order by sheet",
            [upload_id],
        ).fetchall()
        out += [(sheet or "", kind.name, int(n)) for sheet, n in rows]
    return out


def removal_text(rows: list[tuple[str, str, int]], lang: str) -> str:
    """``报备（报备表）12 行、带访（带访表）3 行`` — or that the upload holds no stored row."""
    if not rows:
        return t("ux.undo.removes_nothing", lang)
    parts = [t("ux.undo.sheet_rows", lang, sheet=s, kind=word("kind", k, lang), n=n) for s, k, n in rows]
    return t("ux.undo.removes", lang, rows=t("ux.list_sep", lang).join(parts))


# -- one file's outcome --------------------------------------------------------------------------
def unreadable_text(outcome: UploadOutcome, lang: str) -> str:
    """One line naming the file and why it could not be read."""
    if outcome.error_code == "type":
        return refused_text(outcome.file, lang)
    reason = t(f"unreadable.{outcome.error_code}", lang, **outcome.error_values)
    return t("ui.upload.unreadable", lang, file=outcome.file, reason=reason)


def upload_summary(result: IngestResult, lang: str) -> str:
    """``2026-W37_周报.xlsx: 6 sheets, 1,234 rows read, 1,230 accepted (12 duplicates), 4 rejected, 1 warning``,
    then the upload's data date (SPEC §2: the card shows it, so a mistyped year stands out)."""
    total = {k: sum(getattr(c, k) for c in result.sheets) for k in COUNTS}
    text = t("ui.upload.summary", lang, file=result.file, sheets=len(result.sheets), **total)
    if result.data_date is not None:
        text += t("ui.upload.data_date", lang, date=day(result.data_date))
    return text


SHEET_COUNTS = ["read", "accepted", "duplicates", "superseded", "rejected", "warnings"]


def sheet_counts(result: IngestResult, lang: str) -> pd.DataFrame:
    """Per recognised sheet of one upload: kind (as a word) and read / accepted / duplicates / superseded (rows
    that lose to a stored row of a later data date, SPEC §2) / rejected / warnings."""
    rows = [
        {"sheet": c.sheet, "kind": word("kind", c.kind, lang), **{k: getattr(c, k) for k in SHEET_COUNTS}}
        for c in result.sheets
    ]
    return shown(rows, ["sheet", "kind", *SHEET_COUNTS], lang)


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
    title: str = ""  # the card's heading: ``#12 · 2026-W48_周报.xlsx``
    upload_id: int | None = None  # the upload to undo from this card (None: nothing was stored)
    expanded: bool = True  # the latest round's files open, earlier ones collapsed
    repeat: str | None = None  # "already uploaded on … (#11)"
    change: str | None = None  # "this upload changed fines +¥X, commission +¥Y, flags +1"
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


def file_shown(key: str, outcome: UploadOutcome, lang: str, expanded: bool = True) -> FileShown:
    """What the page shows for one uploaded file."""
    result = outcome.result
    if result is None:
        return FileShown(key=key, error=unreadable_text(outcome, lang), expanded=expanded)
    return FileShown(
        key=key,
        summary=upload_summary(result, lang),
        title=f"#{result.upload_id} · {result.file}" if result.upload_id is not None else result.file,
        upload_id=result.upload_id,
        expanded=expanded,
        repeat=repeat_text(outcome, lang),
        change=change_text(outcome.change, lang) if outcome.change is not None else None,
        counts=sheet_counts(result, lang) if result.sheets else None,
        notes=upload_notes(result, lang),
        rejected=upload_rejected(result, lang) if result.rejected else None,
        warnings=upload_warnings(result, lang) if result.warnings else None,
    )


def view(
    results: Results | None,
    viewer: Viewer,
    lang: str,
    uploads: pd.DataFrame | None = None,
    outcomes: Iterable[tuple[str, UploadOutcome]] = (),
) -> UploadView:
    """The upload page for ``outcomes`` (key, outcome) of this session, the store's ``uploads`` ledger
    (Store.uploads(), newest first; None: none) and the rejected rows of ``results`` (None: none).

    Files are listed newest first; only the latest round's are expanded. ``upload_ids`` is newest first, so
    the undo pick starts at the newest upload. Refused (roles.Refused) for a viewer without the upload page."""
    require_page(viewer, "upload")
    results = scope(results, viewer) if results is not None else None
    uploads = uploads if uploads is not None else pd.DataFrame(columns=["upload_id", "file_name"])
    uploads = uploads.sort_values("upload_id", ascending=False)
    ids = [int(x) for x in uploads["upload_id"]]
    outcomes = list(outcomes)
    latest = max((o.batch for _, o in outcomes), default=0)
    return UploadView(
        files=[file_shown(key, o, lang, expanded=o.batch == latest) for key, o in reversed(outcomes)],
        ledger=ledger(uploads, lang) if ids else pd.DataFrame(),
        upload_ids=ids,
        upload_labels={i: upload_label(uploads, i) for i in ids},
        rejected=all_rejected(results, lang),
    )
