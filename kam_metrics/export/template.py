"""The blank upload template: one sheet per input kind with canonical headers, plus an explanation sheet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import xlsxwriter

from kam_metrics.contract.sheets import INTEGER, NUMBER, PHONE, SHEET_KINDS, Field
from kam_metrics.export.sheets import text_width
from kam_metrics.i18n import t
from kam_metrics.ingest.reader import EXAMPLE_HEADER, EXAMPLE_MARK

CREATED = datetime(2026, 1, 1)  # fixed workbook property: the same template every run

# One example row per kind (field name → value); a value absent here is left empty.
EXAMPLES: dict[str, dict[str, object]] = {
    "roster": {"kam": "王伟", "team": "一组", "start_date": datetime(2026, 9, 1)},
    "registrations": {
        "registered_at": datetime(2026, 9, 8, 14, 30),
        "customer_name": "王建国",
        "phone": "13812345678",
        "salesperson": "孙丽",
        "source": "自然到访",
    },
    "units": {
        "date": datetime(2026, 9, 8),
        "kam": "王伟",
        "unit_name": "华为技术有限公司",
        "photo": "IMG_20260908_1432.jpg",
        "contact": "人事部张经理",
    },
    "leads": {
        "reported_at": datetime(2026, 9, 8, 10, 15),
        "kam": "王伟",
        "customer_name": "王先生",
        "phone": "13812345678",
    },
    "visits": {
        "visited_at": datetime(2026, 9, 12, 15, 0),
        "kam": "王伟",
        "customer_name": "王建国",
        "phone": "13812345678",
        "party_size": 3,
        "salesperson": "孙丽",
    },
    "deals": {
        "signed_at": datetime(2026, 9, 20),
        "customer_name": "王建国",
        "phone": "13812345678",
        "property": "3栋1502",
        "amount": 2680000,
        "salesperson": "孙丽",
        "salesperson_commission": 4000,
        "status": "已签约",
    },
}
# Timestamps whose time of day matters are shown with it; the others are plain dates.
_DATE_ONLY = {"start_date", "end_date", "date", "signed_at", "cancelled_at"}


def _example_text(field: Field, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}" if field.name in _DATE_ONLY else f"{value:%Y-%m-%d %H:%M}"
    if field.type == NUMBER:
        return f"{value:,}"
    return str(value)


def write_template(path: str | Path, lang: str = "zh") -> Path:
    """Write the blank upload template to ``path`` and return it.

    Sheet names and headers are the canonical Chinese aliases of schema.py whatever ``lang`` is
    (they are what ingestion recognises); ``lang`` chooses the language of the explanation sheet.
    Raises ValueError for an unknown language.
    """
    t("template.intro", lang)  # fail early on an unknown language
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": CREATED})
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    fmt = {
        "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "money": wb.add_format({"num_format": "#,##0.00"}),
        "text": wb.add_format({"num_format": "@"}),
    }

    for kind in SHEET_KINDS:
        ws = wb.add_worksheet(kind.aliases[0])
        example = EXAMPLES[kind.name]
        for col, field in enumerate(kind.fields):
            value = example.get(field.name)
            ws.write_string(0, col, field.canonical, header)
            width = max(text_width(field.canonical), text_width(_example_text(field, value))) + 4
            # Phone columns are text-formatted so numbers typed later keep their digits as text.
            ws.set_column(col, col, max(width, 12), fmt["text"] if field.type == PHONE else None)
            if value is None:
                continue
            if isinstance(value, datetime):
                ws.write_datetime(1, col, value, fmt["date" if field.name in _DATE_ONLY else "datetime"])
            elif field.type == NUMBER:
                ws.write_number(1, col, value, fmt["money"])  # type: ignore[arg-type]
            elif field.type == INTEGER:
                ws.write_number(1, col, value)  # type: ignore[arg-type]
            else:
                ws.write_string(1, col, str(value), fmt["text"] if field.type == PHONE else None)
        # The example row carries the mark the reader recognises, so uploading the template as it is stores nothing.
        marker = len(kind.fields)
        ws.write_string(0, marker, EXAMPLE_HEADER, header)
        ws.write_string(1, marker, EXAMPLE_MARK)
        ws.set_column(marker, marker, text_width(EXAMPLE_MARK) + 4)
        ws.freeze_panes(1, 0)

    _write_explanation(wb, lang, header)
    wb.close()
    return path


def _write_explanation(wb: xlsxwriter.Workbook, lang: str, header: object) -> None:
    ws = wb.add_worksheet(t("sheet.explain", lang))
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#F2F2F2"})
    columns = (
        (t("template.col.sheet", lang), 16),
        (t("col.field", lang), 16),
        (t("col.required", lang), 10),
        (t("col.meaning", lang), 70),
        (t("col.example", lang), 24),
        (t("template.col.aliases", lang), 34),
    )
    ws.merge_range(0, 0, 0, len(columns) - 1, t("template.intro", lang), wrap)
    ws.set_row(0, 48)
    note = t("template.example_note", lang, header=EXAMPLE_HEADER, mark=EXAMPLE_MARK)
    ws.merge_range(1, 0, 1, len(columns) - 1, note, wrap)
    ws.set_row(1, 32)
    for col, (label, width) in enumerate(columns):
        ws.write_string(2, col, label, header)
        ws.set_column(col, col, width)
    ws.freeze_panes(3, 0)
    row = 3
    for kind in SHEET_KINDS:
        sheet = kind.aliases[0]
        ws.write_string(row, 0, sheet, bold)
        ws.write_string(row, 1, t("template.sheet_row", lang), bold)
        ws.write_string(row, 2, "", bold)
        ws.write_string(row, 3, t(f"template.sheet.{kind.name}", lang), bold)
        ws.write_string(row, 4, "", bold)
        ws.write_string(
            row, 5, f"{t('template.col.sheet_aliases', lang)}: {', '.join(kind.aliases[1:])}", bold
        )
        row += 1
        for field in kind.fields:
            required = "yes" if field.name in kind.required else "no"
            value = EXAMPLES[kind.name].get(field.name)
            ws.write_string(row, 0, sheet, wrap)
            ws.write_string(row, 1, field.canonical, wrap)
            ws.write_string(row, 2, t(f"template.required.{required}", lang), wrap)
            ws.write_string(row, 3, t(f"template.field.{kind.name}.{field.name}", lang), wrap)
            ws.write_string(row, 4, _example_text(field, value), wrap)
            ws.write_string(row, 5, ", ".join(field.aliases[1:]), wrap)
            row += 1
