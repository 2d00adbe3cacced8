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
import zipfile
from decimal import Decimal

import numpy as np
import pandas as pd
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
                try:
                    lengths = series.str.len()
                except AttributeError:  # not a column of text
                    lengths = series.map(lambda v: 0 if missing(v) else len(str(v)))
                if lengths.max() > LONG_TEXT:  # (non-text values in a text column are short numbers)
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
                    for chunk in _rows(columns, frame, self.xf):
                        member.write(chunk.encode("utf-8"))
                    member.write((end + tail).encode("utf-8"))


def _present(series: pd.Series) -> np.ndarray:
    """Which values are written (not None/NaN/NaT), as sheets.missing decides, for a whole column."""
    return series.notna().to_numpy(dtype=bool)


def _text_cell(ref: str, value) -> str:
    text = str(value)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # xlsxwriter keeps leading or trailing white space (its test: ^\s or \s$)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


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


def _column_cells(letter: str, first_row: int, kind: str, column: str, part: pd.DataFrame, xf) -> list[str]:
    """The cell elements of one column for rows first_row, first_row + 1, … ('' for a missing value)."""
    if column not in part:
        return [""] * len(part)
    series = part[column]
    present = _present(series).tolist()
    values = _serials(series) if kind in (DATE, STAMP) else series.tolist()
    rows = range(first_row, first_row + len(part))
    if kind == TEXT:
        return [
            # an empty text (no flag, no reason) is an empty cell, as in the per-cell writer
            _text_cell(f"{letter}{r}", v) if p and v != "" else ""
            for r, v, p in zip(rows, values, present, strict=True)
        ]
    if kind == INT:
        return [
            f'<c r="{letter}{r}"><v>{int(v):.16G}</v></c>' if p else ""
            for r, v, p in zip(rows, values, present, strict=True)
        ]
    if kind == MONEY:
        s = xf[MONEY]
        return [
            f'<c r="{letter}{r}" s="{s}"><v>{float(Decimal(v)):.16G}</v></c>' if p else ""
            for r, v, p in zip(rows, values, present, strict=True)
        ]
    if kind == BOOL:
        return [
            f'<c r="{letter}{r}" t="b"><v>{1 if v else 0}</v></c>' if p else ""
            for r, v, p in zip(rows, values, present, strict=True)
        ]
    styles = [xf[DATE]] * len(part)
    if kind == STAMP and column != "signed_at":
        flag = DATE_ONLY.get(column)
        date_only = part[flag].tolist() if flag in part else [False] * len(part)
        styles = [xf[DATE] if d else xf[STAMP] for d in date_only]
    return [
        f'<c r="{letter}{r}" s="{s}"><v>{v:.16G}</v></c>' if p else ""
        for r, v, p, s in zip(rows, values, present, styles, strict=True)
    ]


def _rows(columns, frame: pd.DataFrame, xf):
    """The <row> elements of a sheet's data rows (Excel rows 2…), in chunks of text."""
    letters = [xl_col_to_name(j) for j in range(len(columns))]
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        first_row = start + 2
        cells = [
            _column_cells(letter, first_row, kind, c, part, xf)
            for (c, kind), letter in zip(columns, letters, strict=True)
        ]
        rows = []
        for r, row in enumerate(zip(*cells, strict=True), start=first_row):
            body = "".join(row)
            if body:  # xlsxwriter writes no element for a row without cells
                rows.append(f'<row r="{r}">{body}</row>')
        yield "".join(rows)


def _last_cell(columns, frame: pd.DataFrame) -> str:
    """The bottom-right cell of the sheet's used range, as xlsxwriter's <dimension> gives it."""
    used_rows = 0
    for c, _ in columns:
        if c in frame:
            present = _present(frame[c])
            if present.any():
                used_rows = max(used_rows, int(present.nonzero()[0][-1]) + 1)
    return f"{xl_col_to_name(len(columns) - 1)}{used_rows + 1}"
