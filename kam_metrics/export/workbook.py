"""The result workbook (SPEC §7): exactly its sheets and columns, text never a formula, real dates, money to 0.01."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from kam_metrics.engine.report import Results, describe_problems, describe_warning
from kam_metrics.i18n import column_label, t

TEXT, INT, MONEY, STAMP, DATE, BOOL = "text", "int", "money", "stamp", "date", "bool"

# sheet → [(column, cell type)] exactly as SPEC §7 lists them.
SHEETS: dict[str, list[tuple[str, str]]] = {
    "summary": [
        ("kam", TEXT),
        ("team", TEXT),
        ("weeks_assessed", INT),
        ("weeks_met", INT),
        ("fines_total", MONEY),
        ("commission_total", MONEY),
        ("clawback_total", MONEY),
        ("net_total", MONEY),
        ("missed_streak", INT),
        ("flag", TEXT),
    ],
    "weekly": [
        ("kam", TEXT),
        ("week", TEXT),
        ("week_start", DATE),
        ("units", INT),
        ("batches", INT),
        ("numbers", INT),
        ("units_short", INT),
        ("batches_short", INT),
        ("numbers_short", INT),
        ("fine", MONEY),
        ("met", BOOL),
        ("missed_streak", INT),
        ("flag", TEXT),
        ("in_progress", BOOL),
    ],
    "statement": [
        ("kam", TEXT),
        ("month", TEXT),
        ("commission", MONEY),
        ("clawback", MONEY),
        ("fines", MONEY),
        ("net", MONEY),
    ],
    "commissions": [
        ("kam", TEXT),
        ("phone", TEXT),
        ("property", TEXT),
        ("signed_at", STAMP),
        ("salesperson", TEXT),
        ("salesperson_commission", MONEY),
        ("type", TEXT),
        ("reason", TEXT),
        ("kam_commission", MONEY),
        ("salesperson_net", MONEY),
        ("line", TEXT),
        ("month", TEXT),
    ],
    "leads": [
        ("kam", TEXT),
        ("phone", TEXT),
        ("customer_name", TEXT),
        ("reported_at", STAMP),
        ("status", TEXT),
    ],
    "visits": [
        ("kam", TEXT),
        ("phone", TEXT),
        ("customer_name", TEXT),
        ("visited_at", STAMP),
        ("salesperson", TEXT),
        ("status", TEXT),
    ],
    "units": [("kam", TEXT), ("date", STAMP), ("unit_name", TEXT), ("status", TEXT)],
    "rejected": [("file", TEXT), ("sheet", TEXT), ("row", INT), ("reason", TEXT), ("raw", TEXT)],
    "warnings": [("file", TEXT), ("sheet", TEXT), ("row", INT), ("column", TEXT), ("reason", TEXT)],
    "rules": [("key", TEXT), ("value", TEXT)],
}

# A timestamp column and the column telling that its value carries no time of day.
DATE_ONLY = {
    "reported_at": "reported_at_date_only",
    "visited_at": "visited_at_date_only",
    "date": "date_date_only",
}


def sheet_frames(results: Results, lang: str = "zh", kam: str | None = None) -> dict[str, pd.DataFrame]:
    """The data of every export sheet (source columns plus date-only flags), optionally for one KAM."""
    rejected = results.rejected.copy()
    rejected["reason"] = [describe_problems(p, lang) for p in rejected["problems"]]
    warnings = results.warnings.copy()
    warnings["reason"] = [
        describe_warning(c, col, v, lang)
        for c, col, v in zip(warnings["code"], warnings["column"], warnings["value"], strict=True)
    ]
    frames = {
        "summary": results.summary,
        "weekly": results.weekly,
        "statement": results.statement,
        "commissions": results.commissions,
        "leads": results.leads,
        "visits": results.visits,
        "units": results.units,
        "rejected": rejected,
        "warnings": warnings,
        "rules": pd.DataFrame(results.rules.flat(), columns=["key", "value"]),
    }
    if kam is not None:
        for name in ("summary", "weekly", "statement", "commissions", "leads", "visits", "units"):
            frames[name] = frames[name][frames[name]["kam"] == kam]
        frames["rejected"] = frames["rejected"].iloc[0:0]
        frames["warnings"] = frames["warnings"].iloc[0:0]
    return frames


def write_workbook(
    results: Results, target: str | Path | io.BytesIO, lang: str = "zh", kam: str | None = None
):
    """Write the result workbook to a path or a binary buffer; returns the target.

    xlsxwriter writes the workbook's frame — styles, sheets, column widths, header rows, frozen panes and
    autofilters — and the data rows are written as worksheet XML in bulk and spliced into its sheets
    (_bulk_rows): xlsxwriter's per-cell calls cost about 10 µs a cell, a million-lead workbook has 7 million
    cells. The cells are those xlsxwriter writes in constant_memory mode (inline strings, numbers, dates as
    serial numbers with a date format, booleans); tests/test_export_bulk.py compares both writers cell by cell.
    """
    frames = sheet_frames(results, lang, kam)
    staging = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        staging,
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "constant_memory": True,
            "in_memory": True,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    workbook.set_properties({"title": t("sheet.summary", lang), "created": dt.datetime(2000, 1, 1)})
    styles = {
        "header": workbook.add_format(
            {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1, "valign": "vcenter"}
        ),
        MONEY: workbook.add_format({"num_format": "#,##0.00"}),
        STAMP: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
    }
    # The cell style numbers the bulk rows refer to (assigned in this order, so always the same).
    xf = {name: style._get_xf_index() for name, style in styles.items()}
    bulk: dict[str, tuple] = {}
    for index, (sheet, columns) in enumerate(SHEETS.items(), start=1):
        frame = frames[sheet]
        cell_by_cell = not BULK_ROWS or _has_long_text(frame, columns)
        _write_sheet(
            workbook, styles, t(f"sheet.{sheet}", lang), sheet, columns, frame, lang, rows=cell_by_cell
        )
        if not cell_by_cell and len(frame):
            bulk[f"xl/worksheets/sheet{index}.xml"] = (columns, frame)
    workbook.close()
    if isinstance(target, io.BytesIO):
        _splice(staging, target, bulk, xf)
    else:
        part = Path(str(target) + ".part")
        try:
            with open(part, "wb") as out:
                _splice(staging, out, bulk, xf)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
    return target


# False: every cell through xlsxwriter's write_* calls (the reference the bulk rows are tested against).
BULK_ROWS = True
CHUNK_ROWS = 20_000
_LONG_TEXT = 16383  # xlsxwriter truncates text beyond 32767 UTF-16 units; such sheets go cell by cell


def _width(label: str, values: list[str]) -> float:
    def w(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    return min(60, max([w(label)] + [w(v) for v in values]) + 2)


def _write_sheet(
    workbook, styles, title: str, sheet: str, columns, frame: pd.DataFrame, lang: str, rows: bool = True
) -> None:
    """A sheet's header, widths, frozen header and autofilter; with ``rows`` also its data, cell by cell."""
    ws = workbook.add_worksheet(title)
    labels = [column_label(sheet, c, lang) for c, _ in columns]
    n = len(frame)
    sample = min(n, 500)
    for j, ((c, kind), label) in enumerate(zip(columns, labels, strict=True)):
        shown = [_text(v) for v in (frame[c].iloc[:sample].tolist() if c in frame else [])]
        width = 20 if kind == STAMP else 12 if kind in (DATE, MONEY) else _width(label, shown)
        ws.set_column(j, j, max(width, _width(label, [])))
    ws.set_row(0, 20)
    for j, label in enumerate(labels):
        ws.write_string(0, j, label, styles["header"])
    if rows:
        _write_cells(ws, styles, columns, frame)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(columns) - 1)


def _write_cells(ws, styles, columns, frame: pd.DataFrame) -> None:
    data = {c: frame[c].tolist() if c in frame else [None] * len(frame) for c, _ in columns}
    flags = {c: frame[DATE_ONLY[c]].tolist() for c, _ in columns if c in DATE_ONLY and DATE_ONLY[c] in frame}
    for i in range(len(frame)):
        r = i + 1
        for j, (c, kind) in enumerate(columns):
            value = data[c][i]
            if value is None or (not isinstance(value, (str, bool)) and pd.isna(value)):
                continue
            if kind == TEXT:
                if value != "":  # an empty text (no flag, no reason) is an empty cell
                    ws.write_string(r, j, str(value))
            elif kind == INT:
                ws.write_number(r, j, int(value))
            elif kind == MONEY:
                ws.write_number(r, j, float(Decimal(value)), styles[MONEY])
            elif kind == BOOL:
                ws.write_boolean(r, j, bool(value))
            elif kind == DATE:
                ws.write_datetime(r, j, _as_datetime(value), styles[DATE])
            else:
                date_only = flags[c][i] if c in flags else False
                stamp = _as_datetime(value)
                if c == "signed_at" or date_only:
                    ws.write_datetime(r, j, stamp, styles[DATE])
                else:
                    ws.write_datetime(r, j, stamp, styles[STAMP])


def _missing(value) -> bool:
    return value is None or (not isinstance(value, (str, bool)) and pd.isna(value))


def _present(series: pd.Series) -> np.ndarray:
    """Which values are written (not None/NaN/NaT), as _missing decides, for a whole column."""
    return series.notna().to_numpy(dtype=bool)


def _has_long_text(frame: pd.DataFrame, columns) -> bool:
    for c, kind in columns:
        if kind == TEXT and c in frame and len(frame):
            series = frame[c]
            try:
                lengths = series.str.len()
            except AttributeError:  # not a column of text
                lengths = series.map(lambda v: 0 if _missing(v) else len(str(v)))
            if lengths.max() > _LONG_TEXT:  # (non-text values in a text column are short numbers)
                return True
    return False


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
    delta = _as_datetime(value) - _EXCEL_EPOCH
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
    return [None if _missing(v) else _serial(v) for v in series.tolist()]


def _column_cells(letter: str, first_row: int, kind: str, column: str, part: pd.DataFrame, xf) -> list[str]:
    """The cell elements of one column for rows first_row, first_row + 1, … ('' for a missing value)."""
    if column not in part:
        return [""] * len(part)
    series = part[column]
    present = _present(series).tolist()
    if kind in (DATE, STAMP):
        values = _serials(series)
    else:
        values = series.tolist()
    rows = range(first_row, first_row + len(part))
    if kind == TEXT:
        return [
            # an empty text (no flag, no reason) is an empty cell, as in _write_cells
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


def _bulk_rows(columns, frame: pd.DataFrame, xf):
    """The <row> elements of a sheet's data rows (Excel rows 2…), in chunks of text."""
    n = len(frame)
    letters = [xl_col_to_name(j) for j in range(len(columns))]
    for start in range(0, n, CHUNK_ROWS):
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


def _splice(staging: io.BytesIO, out, bulk: dict[str, tuple], xf) -> None:
    """Copy the zip xlsxwriter wrote to ``out``, with the bulk rows inserted into their sheets' <sheetData>."""
    staging.seek(0)
    with zipfile.ZipFile(staging) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename not in bulk:
                zout.writestr(info, data)
                continue
            columns, frame = bulk[info.filename]
            xml = data.decode("utf-8")
            head, end, tail = xml.partition("</sheetData>")
            if not end:
                raise RuntimeError(f"{info.filename}: no sheetData to fill")
            first = xl_col_to_name(0)
            head = re.sub(
                r'<dimension ref="[^"]*"/>',
                f'<dimension ref="{first}1:{_last_cell(columns, frame)}"/>',
                head,
                count=1,
            )
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = info.compress_type
            entry.external_attr = info.external_attr
            entry._compresslevel = 1  # data rows: fastest deflate (compress_level from Python 3.13 on)
            with zout.open(entry, "w", force_zip64=True) as member:
                member.write(head.encode("utf-8"))
                for chunk in _bulk_rows(columns, frame, xf):
                    member.write(chunk.encode("utf-8"))
                member.write((end + tail).encode("utf-8"))


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def _text(value) -> str:
    if value is None or (not isinstance(value, (str, bool)) and pd.isna(value)):
        return ""
    return str(value)
