"""The result workbook's sheets and columns (SPEC §7) with each column's cell type, and cell helpers the writers share."""

from __future__ import annotations

import datetime as dt

import pandas as pd

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
        ("adjustments_total", MONEY),
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
        ("adjustments", MONEY),
        ("net", MONEY),
        ("closed", BOOL),
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
        ("cancelled_at", DATE),
        ("adjudication", INT),  # SPEC §8
    ],
    "leads": [
        ("kam", TEXT),
        ("phone", TEXT),
        ("customer_name", TEXT),
        ("reported_at", STAMP),
        ("status", TEXT),
        ("adjudication", INT),  # SPEC §8
    ],
    "visits": [
        ("kam", TEXT),
        ("phone", TEXT),
        ("customer_name", TEXT),
        ("visited_at", STAMP),
        ("salesperson", TEXT),
        ("status", TEXT),
        ("adjudication", INT),  # SPEC §8
    ],
    "units": [("kam", TEXT), ("date", STAMP), ("unit_name", TEXT), ("status", TEXT), ("adjudication", INT)],
    "rejected": [("file", TEXT), ("sheet", TEXT), ("row", INT), ("reason", TEXT), ("raw", TEXT)],
    "warnings": [("file", TEXT), ("sheet", TEXT), ("row", INT), ("column", TEXT), ("reason", TEXT)],
    "adjustments": [
        ("kam", TEXT),
        ("month", TEXT),
        ("source_month", TEXT),
        ("kind", TEXT),
        ("ref", TEXT),
        ("amount", MONEY),
        ("reason", TEXT),
    ],
    # SPEC §8: the adjudications in force
    "adjudications": [
        ("id", INT),
        ("kind", TEXT),
        ("ref", TEXT),
        ("verdict", TEXT),
        ("kam", TEXT),
        ("reason", TEXT),
        ("decided_by", TEXT),
        ("decided_at", STAMP),
        ("dispute", INT),
        ("orphaned", BOOL),
    ],
    "rules": [("key", TEXT), ("value", TEXT), ("effective_from", DATE)],
}

# A timestamp column and the column telling that its value carries no time of day.
DATE_ONLY = {
    "reported_at": "reported_at_date_only",
    "visited_at": "visited_at_date_only",
    "date": "date_date_only",
}


def date_style(column: str, date_only: bool) -> str:
    """The number format a timestamp cell gets: a date for a deal's day or a value without time of day."""
    return DATE if column == "signed_at" or date_only else STAMP


def missing(value) -> bool:
    """A value that is written as no cell (None, NaN, NaT; an empty text is decided by the writer)."""
    return value is None or (not isinstance(value, (str, bool)) and pd.isna(value))


def as_datetime(value) -> dt.datetime:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def text_width(text: str) -> int:
    """Excel column width ``text`` takes: wide (CJK) characters count two units."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
