"""How values look on a page: masked phones, money as ``¥1,234.00``, ISO dates, and the shown-frame helper."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from kam_metrics.contract.text import MOBILE_IN_TEXT
from kam_metrics.i18n import t


def missing(value: object) -> bool:
    """None, NaN, NaT or pandas' NA."""
    return value is None or (not isinstance(value, (str, Decimal, dt.date)) and bool(pd.isna(value)))


def mask_phone(phone: object) -> str:
    """``13812345678`` → ``138****5678``; anything that is not an 11-digit number is shown as it is."""
    if missing(phone):
        return ""
    text = str(phone)
    if len(text) == 11 and text.isdigit():
        return f"{text[:3]}****{text[7:]}"
    return text


def mask_text(text: object) -> str:
    """Free text (a rejected row's raw values) with every mainland mobile number in it masked."""
    if missing(text):
        return ""
    return MOBILE_IN_TEXT.sub(r"\1****\3", str(text))


def money(value: object) -> str:
    """``Decimal('-1234.5')`` → ``-¥1,234.50``; missing → empty."""
    if missing(value):
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def day(value: object) -> str:
    """A date or timestamp as ``YYYY-MM-DD``; missing → empty."""
    if missing(value):
        return ""
    if isinstance(value, str):
        return value
    return f"{value:%Y-%m-%d}"


def stamp(value: object, date_only: bool = False, seconds: bool = False) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` (``:SS`` when asked for or not zero), or just the date when date-only."""
    if missing(value) or isinstance(value, str):
        return "" if missing(value) else value
    if date_only or not isinstance(value, dt.datetime):
        return day(value)
    return f"{value:%Y-%m-%d %H:%M:%S}" if seconds or value.second else f"{value:%Y-%m-%d %H:%M}"


def text(value: object) -> str:
    """A name or other free text as shown: missing → empty."""
    return "" if missing(value) else str(value)


def word(prefix: str, code: object, lang: str) -> str:
    """The UI word of a code (``status.valid`` → 有效); missing or empty → empty."""
    if missing(code) or code == "":
        return ""
    return t(f"{prefix}.{code}", lang)


def shown(rows: list[dict] | dict[str, list], columns: list[str], lang: str) -> pd.DataFrame:
    """A display frame: ``columns`` in order, texts as text (missing → empty), headers in the UI language."""
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        column = frame[c]
        if pd.api.types.is_numeric_dtype(column):
            continue
        if isinstance(column.dtype, pd.StringDtype):  # texts already: only a missing one becomes ""
            if column.hasnans:
                frame[c] = column.fillna("")
            continue
        frame[c] = [v if isinstance(v, str) else text(v) for v in column]
    return frame.rename(columns={c: t(f"ui.col.{c}", lang) for c in columns})
