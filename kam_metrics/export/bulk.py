"""Data rows written as worksheet XML in bulk and spliced into xlsxwriter's zip: the only code using its internals.

xlsxwriter's per-cell calls cost about 10 µs a cell and a million-lead workbook has 7 million cells, so
write_workbook(bulk=True) lets xlsxwriter write each sheet's frame (styles, header row, widths, frozen pane,
autofilter) and this module fills the rows in. The cells are exactly those xlsxwriter writes in
constant_memory mode (inline strings, numbers, dates as serial numbers with a date format, booleans);
tests/kam_metrics/export/test_bulk.py compares both writers cell by cell. What it relies on, all here:
``Format._get_xf_index`` (the style numbers cells refer to), the part names ``xl/worksheets/sheetN.xml``
in the order sheets are added, the ``<dimension>`` and ``</sheetData>`` of those parts, and the private
``ZipInfo._compresslevel`` before Python 3.13.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from queue import Queue

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.utility import xl_col_to_name

from kam_metrics.export.sheets import BOOL, DATE, DATE_ONLY, INT, MONEY, STAMP, TEXT, as_datetime, missing

CHUNK_ROWS = 20_000
# xlsxwriter truncates text beyond 32767 UTF-16 units (a character may take two); sheets holding such
# text are left to its per-cell calls, so both writers truncate alike.
LONG_TEXT = 16383


class BulkRows:
    """The sheets whose data rows are spliced in, and the style numbers their cells refer to."""

    def __init__(self, styles: dict) -> None:
        # Style numbers are assigned on first request, in this order, so always the same ones.
        self.xf = {name: style._get_xf_index() for name, style in styles.items()}
        self.parts: dict[str, tuple[list, pd.DataFrame]] = {}

    @staticmethod
    def accepts(columns, frame: pd.DataFrame) -> bool:
        """False for a sheet with text long enough that xlsxwriter would truncate it (left to its calls)."""
        for c, kind in columns:
            if kind == TEXT and c in frame and len(frame):
                series = frame[c]
                if isinstance(series.dtype, pd.StringDtype):
                    longest = pc.max(pc.utf8_length(pa.array(series, pa.string(), from_pandas=True))).as_py()
                else:
                    try:
                        longest = series.str.len().max()
                    except AttributeError:  # not a column of text
                        longest = series.map(lambda v: 0 if missing(v) else len(str(v))).max()
                if (
                    longest is not None and longest > LONG_TEXT
                ):  # (non-text values in a text column are short)
                    return False
        return True

    def add(self, sheet_number: int, columns, frame: pd.DataFrame) -> None:
        """Fill the rows of the workbook's ``sheet_number``-th sheet (1-based, in the order added)."""
        if len(frame):
            self.parts[f"xl/worksheets/sheet{sheet_number}.xml"] = (columns, frame)

    def splice(self, staging: io.BytesIO, out) -> None:
        """Copy the zip xlsxwriter wrote to ``out``, with the rows inserted into their sheets' <sheetData>."""
        staging.seek(0)
        with zipfile.ZipFile(staging) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename not in self.parts:
                    zout.writestr(info, data)
                    continue
                columns, frame = self.parts[info.filename]
                head, end, tail = data.decode("utf-8").partition("</sheetData>")
                if not end:
                    raise RuntimeError(f"{info.filename}: no sheetData to fill")
                head = re.sub(
                    r'<dimension ref="[^"]*"/>',
                    f'<dimension ref="A1:{_last_cell(columns, frame)}"/>',
                    head,
                    count=1,
                )
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = info.compress_type
                entry.external_attr = info.external_attr
                # data rows: fastest deflate (a public attribute from Python 3.13 on)
                setattr(entry, "compress_level" if hasattr(entry, "compress_level") else "_compresslevel", 1)
                with zout.open(entry, "w", force_zip64=True) as member:
                    member.write(head.encode("utf-8"))
                    for chunk in _ahead(_rows(columns, frame, self.xf)):
                        member.write(chunk)
                    member.write((end + tail).encode("utf-8"))


def _ahead(chunks: Iterator[bytes], depth: int = 2) -> Iterator[bytes]:
    """``chunks``, built in a thread while the caller deflates the previous ones: Arrow's kernels and zlib both
    release the GIL, so building and compressing overlap on two cores."""
    queue: Queue = Queue(maxsize=depth)
    done = object()

    def build() -> None:
        try:
            for chunk in chunks:
                queue.put(chunk)
        except BaseException as error:  # noqa: BLE001 — raised again in the caller's thread
            queue.put(error)
            return
        queue.put(done)

    worker = threading.Thread(target=build, name="bulk-rows", daemon=True)
    worker.start()
    while (item := queue.get()) is not done:
        if isinstance(item, BaseException):
            worker.join()
            raise item
        yield item
    worker.join()


def _present(series: pd.Series) -> np.ndarray:
    """Which values are written (not None/NaN/NaT), as sheets.missing decides, for a whole column."""
    return series.notna().to_numpy(dtype=bool)


_EXCEL_EPOCH = dt.datetime(1899, 12, 31)
_DAY_US = 86_400_000_000


def _serial(value) -> float:
    """An Excel serial date as xlsxwriter computes it (1900 system, its leap-year correction)."""
    delta = as_datetime(value) - _EXCEL_EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / (60 * 60 * 24)
    return serial + 1 if serial > 59 else serial


def _serials(series: pd.Series) -> list:
    """_serial of a whole column: vectorised for a datetime64 column (same float operations), else per value."""
    if pd.api.types.is_datetime64_dtype(series.dtype):
        us = (series.to_numpy().astype("datetime64[us]") - np.datetime64(_EXCEL_EPOCH, "us")).astype(np.int64)
        days = us // _DAY_US
        rest = us - days * _DAY_US
        seconds, micros = rest // 1_000_000, rest % 1_000_000
        serial = days.astype(np.float64) + (seconds.astype(np.float64) + micros.astype(np.float64) / 1e6) / (
            60 * 60 * 24
        )
        serial = np.where(serial > 59, serial + 1, serial)
        return serial.tolist()
    return [None if missing(v) else _serial(v) for v in series.tolist()]


# Cells are built a column at a time with Arrow's string kernels (a million-lead workbook has 7 million cells:
# one Python f-string each cost most of the export); only the numbers are formatted in Python, as %.16G.
_NO_CELL = pa.scalar("", pa.string())


def _texts(series: pd.Series, present: np.ndarray) -> pa.Array:
    """The column's values as text (str(value)), null where no value is written."""
    if isinstance(series.dtype, pd.StringDtype):
        texts = pa.array(series, pa.string(), from_pandas=True)
        return texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    values = series.tolist()
    return pa.array(
        [str(v) if p else None for v, p in zip(values, present.tolist(), strict=True)], pa.string()
    )


def _text_cells(letter: str, rows: pa.Array, texts: pa.Array) -> pa.Array:
    r"""The inline-string cell of every value of ``texts``, as xlsxwriter writes it: &, < and > escaped, outer
    white space preserved (its test: ^\s or \s$); '' where null or empty (an empty text is an empty cell)."""
    escaped = texts
    if pc.any(pc.match_substring_regex(texts, "[&<>]")).as_py():  # most columns hold none: one scan, no copy
        for plain, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            escaped = pc.replace_substring(escaped, plain, entity)
    # white space as Python's str.isspace decides it, asked once per distinct first or last character
    ends = [pc.utf8_slice_codeunits(texts, 0, 1), pc.utf8_slice_codeunits(texts, -1, 2**31 - 1)]
    chars = pc.unique(pa.concat_arrays(ends)).to_pylist()
    spaces = pa.array([c for c in chars if c is not None and c.isspace()], pa.string())
    spaced = pc.or_(pc.is_in(ends[0], value_set=spaces), pc.is_in(ends[1], value_set=spaces))
    space = pc.if_else(spaced, ' xml:space="preserve"', "")
    cell = pc.binary_join_element_wise(
        '<c r="', letter, rows, '" t="inlineStr"><is><t', space, ">", escaped, "</t></is></c>", ""
    )
    written = pc.and_(pc.is_valid(texts), pc.greater(pc.utf8_length(texts), 0))
    return pc.if_else(pc.fill_null(written, False), cell, _NO_CELL)


def _value_cells(letter: str, rows: pa.Array, attributes, values: list) -> pa.Array:
    """'<c r=.. ATTRIBUTES><v>VALUE</v></c>' for every formatted value of ``values`` ('' where None)."""
    texts = pa.array(values, pa.string())
    cell = pc.binary_join_element_wise('<c r="', letter, rows, '"', attributes, "><v>", texts, "</v></c>", "")
    return pc.fill_null(cell, _NO_CELL)


def _column_cells(letter: str, rows: pa.Array, kind: str, column: str, part: pd.DataFrame, xf) -> pa.Array:
    """The cell elements of one column for the rows numbered ``rows`` ('' for a missing value)."""
    if column not in part:
        return pa.array([""] * len(part), pa.string())
    series = part[column]
    present = _present(series)
    if kind == TEXT:
        return _text_cells(letter, rows, _texts(series, present))
    values = _serials(series) if kind in (DATE, STAMP) else series.tolist()
    flags = present.tolist()
    if kind == INT:
        return _value_cells(
            letter, rows, "", [f"{int(v):.16G}" if p else None for v, p in zip(values, flags, strict=True)]
        )
    if kind == MONEY:
        formatted = [f"{float(Decimal(v)):.16G}" if p else None for v, p in zip(values, flags, strict=True)]
        return _value_cells(letter, rows, f' s="{xf[MONEY]}"', formatted)
    if kind == BOOL:
        return _value_cells(
            letter,
            rows,
            ' t="b"',
            [("1" if v else "0") if p else None for v, p in zip(values, flags, strict=True)],
        )
    formatted = [f"{v:.16G}" if p else None for v, p in zip(values, flags, strict=True)]
    style = f' s="{xf[DATE]}"'
    if kind == STAMP and column != "signed_at":
        flag = DATE_ONLY.get(column)
        if flag in part:
            date_only = pa.array([bool(d) for d in part[flag].tolist()], pa.bool_())  # as `if d` reads it
            style = pc.if_else(date_only, style, f' s="{xf[STAMP]}"')
        else:
            style = f' s="{xf[STAMP]}"'
    return _value_cells(letter, rows, style, formatted)


def _rows(columns, frame: pd.DataFrame, xf):
    """The <row> elements of a sheet's data rows (Excel rows 2…), in chunks of UTF-8 bytes."""
    letters = [xl_col_to_name(j) for j in range(len(columns))]
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        first_row = start + 2
        rows = pc.cast(pa.array(np.arange(first_row, first_row + len(part), dtype=np.int64)), pa.string())
        cells = [
            _column_cells(letter, rows, kind, c, part, xf)
            for (c, kind), letter in zip(columns, letters, strict=True)
        ]
        body = pc.binary_join_element_wise(*cells, "")
        row = pc.binary_join_element_wise('<row r="', rows, '">', body, "</row>", "")
        # xlsxwriter writes no element for a row without cells
        row = row.filter(pc.greater(pc.utf8_length(body), 0))
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(row)], pa.int32()), row), "")
        yield joined[0].as_buffer().to_pybytes()


def _last_cell(columns, frame: pd.DataFrame) -> str:
    """The bottom-right cell of the sheet's used range, as xlsxwriter's <dimension> gives it."""
    used_rows = 0
    for c, _ in columns:
        if c in frame:
            present = _present(frame[c])
            if present.any():
                used_rows = max(used_rows, int(present.nonzero()[0][-1]) + 1)
    return f"{xl_col_to_name(len(columns) - 1)}{used_rows + 1}"
