"""Read uploaded files (.xlsx/.xlsm/.xls/.ods/.csv) into raw sheets: recognised kind, header, text cells, row numbers."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from kam_metrics.schema import HEADER_SEARCH_ROWS, KINDS, detect_header, kind_for_sheet_name

EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upload limits; the environment (KAM_MAX_UPLOAD_MB, KAM_MAX_UNCOMPRESSED_MB) overrides the defaults."""

    max_upload_bytes: int = 200 * MB
    max_uncompressed_bytes: int = 1024 * MB
    # A compressed workbook that expands more than this factor beyond 100 MB is a zip bomb, not a sheet.
    max_ratio: int = 200

    @classmethod
    def from_env(cls) -> Limits:
        kwargs = {}
        if os.environ.get("KAM_MAX_UPLOAD_MB"):
            kwargs["max_upload_bytes"] = int(float(os.environ["KAM_MAX_UPLOAD_MB"]) * MB)
        if os.environ.get("KAM_MAX_UNCOMPRESSED_MB"):
            kwargs["max_uncompressed_bytes"] = int(float(os.environ["KAM_MAX_UNCOMPRESSED_MB"]) * MB)
        return cls(**kwargs)


class UnreadableFile(Exception):
    """A file that cannot be read at all; ``code`` is a locale key suffix (unreadable.<code>)."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass
class RawSheet:
    """One recognised sheet: its kind, the columns mapped to fields (text or None), Excel row numbers."""

    name: str
    kind: str
    header_row: int  # 1-based row number of the header
    headers: dict[str, str]  # field → the header text as written in the file
    columns: dict[str, pa.Array]  # field → string array (raw cell text, None when empty)
    row_numbers: pa.Array  # int64, 1-based row number of each data row
    rows_read: int = 0
    # Every column with a header, known or not, in file order: (header text, array). Unknown columns are
    # kept (SPEC §2) so a rejected row's raw values show the whole row.
    all_columns: list[tuple[str, pa.Array]] = field(default_factory=list)


@dataclass
class ReadResult:
    sheets: list[RawSheet] = field(default_factory=list)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (locale key, values)


def _format(path: Path, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    return "text"


def read_file(
    path: str | Path,
    display_name: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ReadResult:
    """Read every sheet of a file; raises UnreadableFile when nothing of it can be read."""
    path = Path(path)
    limits = limits or Limits.from_env()
    name = display_name or path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UnreadableFile("missing") from None
    if size == 0:
        raise UnreadableFile("empty")
    if size > limits.max_upload_bytes:
        raise UnreadableFile("too_large", size=_mb(size), limit=_mb(limits.max_upload_bytes))
    with open(path, "rb") as f:
        head = f.read(8)
    kind = _format(path, head)
    ext = Path(name).suffix.lower()
    if kind == "zip":
        _check_zip(path, size, limits)
        return _read_excel(path, progress)
    if kind == "ole":
        if _is_encrypted_ole(path):
            raise UnreadableFile("encrypted")
        return _read_excel(path, progress)
    if ext not in CSV_EXTENSIONS:
        # Only a file named as text is read as text: a PDF or a renamed workbook is not a spreadsheet.
        raise UnreadableFile("not_spreadsheet")
    return _read_csv(path, Path(name).stem, progress)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def _check_zip(path: Path, size: int, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError, EOFError):
        raise UnreadableFile("corrupt") from None
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        raise UnreadableFile("encrypted")
    if not ({"[Content_Types].xml", "mimetype"} & names):
        raise UnreadableFile("not_spreadsheet")
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes or (total > 100 * MB and total > limits.max_ratio * size):
        raise UnreadableFile(
            "too_large_uncompressed",
            size=_mb(total),
            limit=_mb(min(limits.max_uncompressed_bytes, total - 1)),
        )


def _is_encrypted_ole(path: Path) -> bool:
    # An encrypted .xlsx is an OLE container holding an "EncryptionInfo" stream (name in UTF-16LE).
    marker = "EncryptionInfo".encode("utf-16-le")
    with open(path, "rb") as f:
        data = f.read(64 * MB)
    return marker in data


def _read_excel(path: Path, progress: Callable[[float, str], None] | None) -> ReadResult:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        sheet_names = reader.sheet_names
    except Exception as e:  # calamine reports damage in many shapes
        text = str(e).lower()
        if "password" in text or "encrypt" in text:
            raise UnreadableFile("encrypted") from None
        raise UnreadableFile("corrupt") from None
    result = ReadResult()
    n = len(sheet_names)
    for i, sheet_name in enumerate(sheet_names):
        if progress:
            progress(i / max(n, 1), sheet_name)
        try:
            sheet = reader.load_sheet(i, header_row=None, skip_rows=0, dtypes="string")
            table = sheet.to_arrow()
            visible = getattr(sheet, "visible", "visible")
        except Exception as e:
            text = str(e).lower()
            if "no data" in text or "empty" in text:
                continue
            raise UnreadableFile("corrupt") from None
        if str(visible).lower() not in ("visible", "sheetvisible.visible"):
            result.notes.append(("note.hidden_sheet", {"sheet": sheet_name}))
        columns = [_array(table.column(j)) for j in range(table.num_columns)]
        _recognise(result, sheet_name, columns, row_offset=1)
    if progress:
        progress(1.0, "")
    return result


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16")
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        return data.decode("utf-16-le")
    if len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        return data.decode("utf-16-be")
    if b"\x00" in data[:4096]:
        raise UnreadableFile("not_spreadsheet")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("encoding")


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536].splitlines()[:30]
    best, best_score = ",", -1
    for delim in (",", "\t", ";", "|"):
        counts = [len(r) for r in csv.reader(sample, delimiter=delim)]
        if not counts:
            continue
        common = max(set(counts), key=counts.count)
        score = common * counts.count(common) if common > 1 else 0
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv(path: Path, stem: str, progress: Callable[[float, str], None] | None) -> ReadResult:
    data = path.read_bytes()
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise UnreadableFile("encoding") from None
    if not text.strip():
        raise UnreadableFile("empty")
    delim = _sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error:
        raise UnreadableFile("corrupt") from None
    width = max((len(r) for r in rows), default=0)
    columns = []
    for j in range(width):
        columns.append(pa.array([(r[j] if j < len(r) and r[j] != "" else None) for r in rows], pa.string()))
    result = ReadResult()
    _recognise(result, stem, columns, row_offset=1)
    if progress:
        progress(1.0, stem)
    return result


# Empty after NFKC and trimming: any white space or separator (NBSP, EN SPACE, ideographic space…) and
# the zero-width characters the normaliser removes.
_BLANK = r"^[\s\p{Z}\x{200b}-\x{200d}\x{2060}\x{feff}]*$"


def _recognise(result: ReadResult, sheet_name: str, columns: list[pa.Array], row_offset: int) -> None:
    """Find the kind and header of one sheet and keep its mapped columns; notes explain ignored sheets."""
    if not columns or len(columns[0]) == 0:
        result.notes.append(("note.ignored_sheet", {"sheet": sheet_name}))
        return
    forced = kind_for_sheet_name(sheet_name)
    head_n = min(HEADER_SEARCH_ROWS, len(columns[0]))
    head = [[col[i].as_py() for col in columns] for i in range(head_n)]
    found = detect_header(head, forced)
    if found is None:
        key = "note.no_header" if forced else "note.ignored_sheet"
        result.notes.append((key, {"sheet": sheet_name}))
        return
    h, kind, mapping = found
    n = len(columns[0]) - h - 1
    # Drop rows whose every cell (mapped or not) is blank: they are not data rows.
    body = [col.slice(h + 1) for col in columns]
    import pyarrow.compute as pc

    nonblank = None
    for col in body:
        filled = pc.and_(pc.is_valid(col), pc.invert(pc.match_substring_regex(col, _BLANK)))
        filled = pc.fill_null(filled, False)
        nonblank = filled if nonblank is None else pc.or_(nonblank, filled)
    row_numbers = pa.array(range(h + 1 + row_offset, h + 1 + row_offset + n), pa.int64())
    if nonblank is not None and n > 0:
        row_numbers = row_numbers.filter(nonblank)
        body = [col.filter(nonblank) for col in body]
    result.sheets.append(
        RawSheet(
            name=sheet_name,
            kind=kind,
            header_row=h + row_offset,
            headers={f: str(head[h][j]).strip() for f, j in mapping.items()},
            columns={f: body[j] for f, j in mapping.items()},
            row_numbers=row_numbers,
            rows_read=len(row_numbers),
            all_columns=[
                (str(head[h][j]).strip(), body[j])
                for j in range(len(body))
                if head[h][j] is not None and str(head[h][j]).strip()
            ],
        )
    )
    assert kind in KINDS


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
