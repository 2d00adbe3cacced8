"""The result workbook (SPEC §7): exactly its sheets and columns, text never a formula, real dates, money to 0.01."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import xlsxwriter

from kam_metrics.engine.close_reasons import describe as describe_adjustment
from kam_metrics.engine.report import Results, describe_problems, describe_warning
from kam_metrics.export.bulk import BulkRows
from kam_metrics.export.rules_sheet import rules_rows
from kam_metrics.export.sheets import (
    BOOL,
    DATE,
    DATE_ONLY,
    INT,
    MONEY,
    SHEETS,
    STAMP,
    TEXT,
    as_datetime,
    date_style,
    missing,
    text_width,
)
from kam_metrics.export.words import code_words, text_columns
from kam_metrics.i18n import column_label, t

__all__ = [
    "EXCEL_MAX_ROWS",
    "KAM_SHEETS",
    "SHEETS",
    "sheet_columns",
    "sheet_frames",
    "sheet_titles",
    "write_workbook",
]

EXCEL_MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header row included
# The sheets of one KAM's workbook that keep that KAM's rows: every sheet with a kam column. The rejected and
# warnings sheets (upload problems, no KAM) are emptied; the rules sheet is the same for everyone.
KAM_SHEETS = tuple(sheet for sheet, columns in SHEETS.items() if "kam" in dict(columns))


def sheet_frames(results: Results, lang: str = "zh", kam: str | None = None) -> dict[str, pd.DataFrame]:
    """The data of every export sheet as shown in ``lang`` (source columns plus date-only flags; in Chinese the
    codes as words), optionally for one KAM."""
    rejected = results.rejected.copy()
    rejected["reason"] = [describe_problems(p, lang) for p in rejected["problems"]]
    warnings = results.warnings.copy()
    warnings["reason"] = [
        describe_warning(c, col, v, lang)
        for c, col, v in zip(warnings["code"], warnings["column"], warnings["value"], strict=True)
    ]
    adjustments = results.adjustments.assign(
        reason=[describe_adjustment(r, lang) for r in results.adjustments["reason"]]
    )
    commissions = results.commissions
    if len(
        commissions
    ):  # §7 v1.2: cancelled_at is filled on clawback lines (a commission line keeps its month)
        commissions = commissions.assign(
            cancelled_at=commissions["cancelled_at"].where(commissions["line"] == "clawback")
        )
    frames = {
        "summary": results.summary,
        "weekly": results.weekly,
        "statement": results.statement,
        "commissions": commissions,
        "leads": results.leads,
        "visits": results.visits,
        "units": results.units,
        "rejected": rejected,
        "warnings": warnings,
        "adjustments": adjustments,
        "adjudications": results.adjudications,  # SPEC §8
        "rules": rules_rows(
            results.rule_versions.base, [(c.effective_from, c.values) for c in results.rule_versions.changes]
        ),
    }
    if kam is not None:
        for name in KAM_SHEETS:
            frames[name] = frames[name][frames[name]["kam"] == kam]
        frames["rejected"] = frames["rejected"].iloc[0:0]
        frames["warnings"] = frames["warnings"].iloc[0:0]
    return {sheet: code_words(sheet, frame, lang) for sheet, frame in frames.items()}


def sheet_columns(sheet: str, lang: str = "zh") -> list[tuple[str, str]]:
    """The (column, cell type) pairs of ``sheet`` as written in ``lang``: a boolean shown as a word is text."""
    words = text_columns(sheet, lang)
    return [(c, TEXT if c in words else kind) for c, kind in SHEETS[sheet]]


def sheet_titles(title: str, rows: int, max_rows: int = EXCEL_MAX_ROWS) -> list[str]:
    """The sheets ``rows`` data rows take (SPEC §7): ``title``, then ``title_2``, ``title_3``, … when they
    do not fit below one header row in ``max_rows`` rows; always at least one sheet."""
    if max_rows < 2:
        raise ValueError(f"a sheet needs room for its header and one row, not max_rows={max_rows}")
    count = max(1, -(-rows // (max_rows - 1)))
    return [title] + [f"{title}_{i}" for i in range(2, count + 1)]


def write_workbook(
    results: Results,
    target: str | Path | io.BytesIO,
    lang: str = "zh",
    kam: str | None = None,
    *,
    bulk: bool = True,
    max_rows: int = EXCEL_MAX_ROWS,
):
    """Write the result workbook to a path or a binary buffer; returns the target.

    ``bulk`` writes the data rows as worksheet XML (kam_metrics.export.bulk, fast); ``bulk=False`` writes
    every cell through xlsxwriter's calls, the reference the bulk rows are tested against. A sheet with more
    rows than ``max_rows`` (header included) continues in sheets ``<name>_2``, ``<name>_3``, ….
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
    rows = BulkRows(styles) if bulk else None
    number = 0
    for sheet in SHEETS:
        frame, columns = frames[sheet], sheet_columns(sheet, lang)
        labels = [column_label(sheet, c, lang) for c, _ in columns]
        widths = _widths(columns, labels, frame)
        for title, part in _continued(t(f"sheet.{sheet}", lang), frame, max_rows):
            number += 1
            ws = _write_frame(workbook, styles, title, labels, widths, len(part))
            if rows is not None and rows.accepts(columns, part):
                rows.add(number, columns, part)
            else:
                _write_cells(ws, styles, columns, part)
    workbook.close()
    if isinstance(target, io.BytesIO):
        _finish(staging, target, rows)
    else:
        part = Path(str(target) + ".part")
        try:
            with open(part, "wb") as out:
                _finish(staging, out, rows)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
    return target


def _finish(staging: io.BytesIO, out, rows: BulkRows | None) -> None:
    if rows is None:
        out.write(staging.getvalue())
    else:
        rows.splice(staging, out)


def _continued(title: str, frame: pd.DataFrame, max_rows: int) -> Iterator[tuple[str, pd.DataFrame]]:
    """(sheet title, its rows) for a sheet and its continuations, every row exactly once, in order."""
    per_sheet = max_rows - 1
    for i, name in enumerate(sheet_titles(title, len(frame), max_rows)):
        yield name, frame.iloc[i * per_sheet : (i + 1) * per_sheet]


def _width(label: str, values: list[str]) -> float:
    return min(60, max([text_width(label)] + [text_width(v) for v in values]) + 2)


def _widths(columns, labels: list[str], frame: pd.DataFrame) -> list[float]:
    """Column widths from the label and the first 500 values (the same on a sheet and its continuations)."""
    sample = frame.iloc[:500]
    widths = []
    for (c, kind), label in zip(columns, labels, strict=True):
        shown = [_text(v) for v in (sample[c].tolist() if c in sample else [])]
        width = 20 if kind == STAMP else 12 if kind in (DATE, MONEY) else _width(label, shown)
        widths.append(max(width, _width(label, [])))
    return widths


def _write_frame(workbook, styles, title: str, labels: list[str], widths: list[float], n: int):
    """A sheet's header, widths, frozen header and autofilter over its ``n`` data rows."""
    ws = workbook.add_worksheet(title)
    for j, width in enumerate(widths):
        ws.set_column(j, j, width)
    ws.set_row(0, 20)
    for j, label in enumerate(labels):
        ws.write_string(0, j, label, styles["header"])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(labels) - 1)
    return ws


def _write_cells(ws, styles, columns, frame: pd.DataFrame) -> None:
    """The data rows, cell by cell through xlsxwriter (constant_memory: row by row, after the header)."""
    data = {c: frame[c].tolist() if c in frame else [None] * len(frame) for c, _ in columns}
    flags = {c: frame[DATE_ONLY[c]].tolist() for c, _ in columns if c in DATE_ONLY and DATE_ONLY[c] in frame}
    for i in range(len(frame)):
        r = i + 1
        for j, (c, kind) in enumerate(columns):
            value = data[c][i]
            if missing(value):
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
                ws.write_datetime(r, j, as_datetime(value), styles[DATE])
            else:
                date_only = flags[c][i] if c in flags else False
                ws.write_datetime(r, j, as_datetime(value), styles[date_style(c, date_only)])


def _text(value) -> str:
    return "" if missing(value) else str(value)
