"""Read uploaded files (.xlsx/.xlsm/.xls/.ods/.csv) into raw sheets: recognised kind, header, text cells, row numbers."""

from __future__ import annotations

import codecs
import csv
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from kam_metrics.contract.sheets import HEADER_SEARCH_ROWS, KINDS, detect_header, kind_for_sheet_name
from kam_metrics.ingest import html_table
from kam_metrics.ingest.formulas import uncached_formulas

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

    # ... and only beyond this many bytes (a real sheet of 100 MB of XML compresses 10-20x).
    bomb_floor_bytes: int = 100 * MB

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults overridden by KAM_MAX_UPLOAD_MB / KAM_MAX_UNCOMPRESSED_MB (megabytes, may be fractional).

        A value that is not a positive number raises LimitsError naming the variable.
        """
        kwargs = {}
        for var, key in (
            ("KAM_MAX_UPLOAD_MB", "max_upload_bytes"),
            ("KAM_MAX_UNCOMPRESSED_MB", "max_uncompressed_bytes"),
        ):
            text = os.environ.get(var, "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                value = float("nan")
            if not (value > 0 and value != float("inf")):
                raise LimitsError(f"{var} must be a positive number of megabytes, not {text!r}")
            kwargs[key] = max(1, int(value * MB))
        return cls(**kwargs)

    def uncompressed_limit(self, compressed_size: int) -> int:
        """The largest uncompressed size accepted for a workbook of ``compressed_size`` bytes."""
        bomb = max(self.bomb_floor_bytes, self.max_ratio * compressed_size)
        return min(self.max_uncompressed_bytes, bomb)


class LimitsError(ValueError):
    """A limit set in the environment is not a positive number."""


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
    # Row number → raw values (JSON) of the rejected rows, once the raw columns were released after staging.
    raw_rejected: dict[int, str] | None = None
    # (Excel row, field, 0-based column) of formula cells without a saved value in mapped columns.
    formula_cells: list[tuple[int, str, int]] = field(default_factory=list)


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
    if html_table.is_html(head_text(path)):
        return _read_html(path, Path(name).stem)
    if ext not in CSV_EXTENSIONS:
        # Only a file named as text is read as text: a PDF or a renamed workbook is not a spreadsheet.
        raise UnreadableFile("not_spreadsheet")
    return _read_csv(path, Path(name).stem, progress)


def head_text(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(1024)


def _read_html(path: Path, stem: str) -> ReadResult:
    """A web page saved as .xls: its first table is read like a CSV sheet; a page without one is refused."""
    columns = html_table.table_columns(path)
    if columns is None:
        raise UnreadableFile("html_no_table")
    result = ReadResult()
    _recognise(result, stem, columns, row_offset=1)
    return result


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


def _check_zip(path: Path, size: int, limits: Limits) -> None:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise UnreadableFile("corrupt") from None
    with z:
        infos = z.infolist()
        names = {i.filename for i in infos}
        if "EncryptionInfo" in names or "EncryptedPackage" in names:
            raise UnreadableFile("encrypted")
        if not _is_workbook_zip(z, names):
            raise UnreadableFile("not_spreadsheet")
    total = sum(i.file_size for i in infos)
    limit = limits.uncompressed_limit(size)
    if total > limit:
        raise UnreadableFile("too_large_uncompressed", size=_mb(total), limit=_mb(limit))


# The content type of a workbook's main part: .xlsx, .xlsm, .xltx, .xltm, .xlam and .xlsb.
_WORKBOOK_MAIN = re.compile(rb"(spreadsheetml|ms-excel)\.[A-Za-z.]*main")


def _is_workbook_zip(z: zipfile.ZipFile, names: set[str]) -> bool:
    """Whether a zip is a spreadsheet: an OOXML package whose main part is a workbook, or an ODF spreadsheet.

    A Word or PowerPoint file, an .odt, or any other zip is "not a spreadsheet" (decisions.md).
    """
    try:
        if "mimetype" in names:
            with z.open("mimetype") as f:
                return f.read(200).strip().startswith(b"application/vnd.oasis.opendocument.spreadsheet")
        if "[Content_Types].xml" in names:
            with z.open("[Content_Types].xml") as f:
                types = f.read(1 << 20)
            return bool(_WORKBOOK_MAIN.search(types)) or "xl/workbook.xml" in names
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error):
        raise UnreadableFile("corrupt") from None
    return False


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
    # calamine reads such a cell as empty; the XML says it was a formula (only scanned where one is). The
    # scan inflates every sheet's XML once more: it runs in a thread while calamine (GIL released) parses.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kam-formulas") as pool:
        scan = pool.submit(uncached_formulas, path)
        _read_sheets(reader, sheet_names, result, scan, progress)
    return result


def _read_sheets(reader, sheet_names: list[str], result: ReadResult, scan, progress) -> None:
    formulas = None
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
        formulas = scan.result() if formulas is None else formulas
        _recognise(result, sheet_name, columns, row_offset=1, formulas=formulas.get(sheet_name, ()))
    if progress:
        progress(1.0, "")


def _encoding(path: Path) -> str:
    """The text encoding of a CSV file, checked over the whole file in 1 MB steps (never all in memory).

    A BOM decides; UTF-16 without BOM is recognised by its zero bytes; else UTF-8, then GB18030. Raises
    UnreadableFile for a binary file ("not_spreadsheet"), an unknown encoding, or a file of blanks only.
    """
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        candidates = ["utf-16"]
    elif len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        candidates = ["utf-16-le"]
    elif len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] != 0:
        candidates = ["utf-16-be"]
    elif b"\x00" in head:
        raise UnreadableFile("not_spreadsheet")
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        blank = True
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(MB), b""):
                    text = decoder.decode(chunk)
                    blank = blank and not text.strip()
                text = decoder.decode(b"", final=True)
                blank = blank and not text.strip()
        except UnicodeDecodeError:
            continue
        if blank:
            raise UnreadableFile("empty")
        return encoding
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


CSV_BATCH_ROWS = 65536


def _read_csv(path: Path, stem: str, progress: Callable[[float, str], None] | None) -> ReadResult:
    encoding = _encoding(path)
    with open(path, encoding=encoding, newline="") as f:
        delim = _sniff_delimiter(f.read(65536))
    columns = _csv_columns(path, encoding, delim, progress)
    result = ReadResult()
    _recognise(result, stem, columns, row_offset=1)
    if progress:
        progress(1.0, stem)
    return result


def _csv_columns(path: Path, encoding: str, delim: str, progress=None) -> list[pa.Array]:
    """Parse CSV like Excel does, in batches of rows straight into Arrow columns (a 150 MB file is never a
    Python list of rows); a quote left open at the end of the file is refused.

    An unclosed quote swallows every later line into one cell: the rows would silently vanish, so the
    file is refused as damaged (decisions.md). Other quirks (text after a closing quote) are read leniently.
    """
    try:
        return _parse_csv(path, encoding, delim, strict=True, progress=progress)
    except csv.Error as e:
        if "end of data" in str(e):
            raise UnreadableFile("corrupt") from None
    try:
        return _parse_csv(path, encoding, delim, strict=False, progress=progress)
    except csv.Error:  # e.g. a field over the csv module's size limit
        raise UnreadableFile("corrupt") from None


def _parse_csv(path: Path, encoding: str, delim: str, strict: bool, progress=None) -> list[pa.Array]:
    size = max(path.stat().st_size, 1)
    chunks: list[list[pa.Array]] = []  # per column, one array per batch
    total = 0
    batch: list[list[str]] = []

    def flush() -> None:
        nonlocal total
        width = max((len(r) for r in batch), default=0)
        while len(chunks) < width:  # a wider row: the new column is empty in every earlier row
            chunks.append([pa.nulls(total, pa.string())] if total else [])
        for j, column in enumerate(chunks):
            column.append(
                pa.array([(r[j] if j < len(r) and r[j] != "" else None) for r in batch], pa.string())
            )
        total += len(batch)
        batch.clear()

    with open(path, encoding=encoding, newline="") as f:
        for row in csv.reader(f, delimiter=delim, strict=strict):
            batch.append(row)
            if len(batch) >= CSV_BATCH_ROWS:
                flush()
                if progress:
                    progress(min(f.buffer.tell() / size, 0.99), path.stem)
        flush()
    columns = []
    for j in range(len(chunks)):
        columns.append(pa.concat_arrays(chunks[j]) if chunks[j] else pa.array([], pa.string()))
        chunks[j] = []  # free each column's batches as soon as it is one array
    return columns


# Empty after NFKC and trimming: any white space or separator (NBSP, EN SPACE, ideographic space…) and
# the zero-width and control characters the normaliser removes.
_BLANK = r"^[\s\p{Z}\x{200b}-\x{200d}\x{2060}\x{feff}\x{0}-\x{1f}\x{85}\x{fffe}\x{ffff}]*$"


# The cell the upload template writes in its example rows (export/template.py): a row holding it is never data.
EXAMPLE_MARK = "示例行·导入时忽略"
EXAMPLE_HEADER = "示例标记"


def _recognise(
    result: ReadResult, sheet_name: str, columns: list[pa.Array], row_offset: int, formulas=()
) -> None:
    """Find the kind and header of one sheet and keep its mapped columns; notes explain ignored sheets."""
    if not columns or len(columns[0]) == 0:
        result.notes.append(("note.ignored_sheet", {"sheet": sheet_name}))
        return
    forced = kind_for_sheet_name(sheet_name)
    head_n = min(HEADER_SEARCH_ROWS, len(columns[0]))
    head = [list(row) for row in zip(*(col.slice(0, head_n).to_pylist() for col in columns), strict=True)]
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
        if pc.all(nonblank).as_py():  # every row already has a filled cell: the other columns change nothing
            break
    example = None
    for col in body:
        if not pc.any(
            pc.match_substring(col.cast(pa.string()), EXAMPLE_MARK)
        ).as_py():  # rarely there: a plain search first
            continue
        marked = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(col.cast(pa.string())), EXAMPLE_MARK), False)
        example = marked if example is None else pc.or_(example, marked)
    if example is not None and n > 0 and pc.any(example).as_py():
        result.notes.append(("note.example_rows", {"sheet": sheet_name, "rows": pc.sum(example).as_py()}))
        nonblank = pc.and_(nonblank, pc.invert(example))
    row_numbers = pa.array(range(h + 1 + row_offset, h + 1 + row_offset + n), pa.int64())
    # Filtering copies every column: skip it when no row is blank (a big export usually has none).
    if nonblank is not None and n > 0 and not pc.all(nonblank).as_py():
        row_numbers = row_numbers.filter(nonblank)
        body = [col.filter(nonblank) for col in body]
    field_of = {j: f for f, j in mapping.items()}
    first_data_row = h + 1 + row_offset
    formula_cells = [(r, field_of[c], c) for r, c in formulas if r >= first_data_row and c in field_of]
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
            formula_cells=formula_cells,
        )
    )
    assert kind in KINDS


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
