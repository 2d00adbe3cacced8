"""The result workbook (SPEC §7): exactly its sheets and columns, text never a formula, real dates, money to 0.01."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
import xlsxwriter

from kam_metrics.i18n import column_label, t
from kam_metrics.report import Results, describe_problems, describe_warning

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
    """Write the result workbook to a path or a binary buffer; returns the target."""
    frames = sheet_frames(results, lang, kam)
    workbook = xlsxwriter.Workbook(
        target if isinstance(target, io.BytesIO) else str(target),
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "constant_memory": True,
            "in_memory": isinstance(target, io.BytesIO),
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
    for sheet, columns in SHEETS.items():
        _write_sheet(workbook, styles, t(f"sheet.{sheet}", lang), sheet, columns, frames[sheet], lang)
    workbook.close()
    return target


def _width(label: str, values: list[str]) -> float:
    def w(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    return min(60, max([w(label)] + [w(v) for v in values]) + 2)


def _write_sheet(workbook, styles, title: str, sheet: str, columns, frame: pd.DataFrame, lang: str) -> None:
    ws = workbook.add_worksheet(title)
    labels = [column_label(sheet, c, lang) for c, _ in columns]
    data = {c: frame[c].tolist() if c in frame else [None] * len(frame) for c, _ in columns}
    flags = {c: frame[DATE_ONLY[c]].tolist() for c, _ in columns if c in DATE_ONLY and DATE_ONLY[c] in frame}
    n = len(frame)
    sample = min(n, 500)
    for j, ((c, kind), label) in enumerate(zip(columns, labels, strict=True)):
        shown = [_text(v) for v in data[c][:sample]]
        width = 20 if kind == STAMP else 12 if kind in (DATE, MONEY) else _width(label, shown)
        ws.set_column(j, j, max(width, _width(label, [])))
    ws.set_row(0, 20)
    for j, label in enumerate(labels):
        ws.write_string(0, j, label, styles["header"])
    for i in range(n):
        r = i + 1
        for j, (c, kind) in enumerate(columns):
            value = data[c][i]
            if value is None or (not isinstance(value, (str, bool)) and pd.isna(value)):
                continue
            if kind == TEXT:
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
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(n, 1), len(columns) - 1)


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
