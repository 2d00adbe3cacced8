"""The result workbook's bulk rows hold exactly the cells xlsxwriter's per-cell calls write (SPEC §7).

kam_metrics.export writes the data rows of every sheet as worksheet XML in bulk (a million-lead workbook has
7 million cells); export.BULK_ROWS = False writes them cell by cell through xlsxwriter, the reference.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.export import workbook as export
from kam_metrics.ingest.store import Store
from tests.helpers import write_csv
from tests.kam_metrics.export.test_workbook import DATA

# Text that needs escaping or whitespace kept, beside the formula-like text of test_export's DATA.
ODD = [
    {
        "reported_at": "2026-11-09 08:00",
        "kam": "王五",
        "phone": "13600000001",
        "customer_name": 'a&b <c> "d"',
    },
    {"reported_at": "2026-11-09", "kam": "王五", "phone": "13600000002", "customer_name": "Tom  O'Neil"},
    {"reported_at": "2026-11-10 23:59:59", "kam": "王五", "phone": "13600000003", "customer_name": None},
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export_bulk")
    store = Store(folder / "kam.duckdb")
    for i, (kind, rows) in enumerate([*DATA, ("leads", ODD)]):
        sub = folder / f"u{i}"
        sub.mkdir()
        store.ingest(write_csv(sub / f"{KINDS[kind].aliases[0]}.csv", kind, rows))
    yield report.compute(store)
    store.close()


def written(results, bulk: bool, lang: str, kam=None) -> bytes:
    old = export.BULK_ROWS
    export.BULK_ROWS = bulk
    try:
        buffer = io.BytesIO()
        export.write_workbook(results, buffer, lang=lang, kam=kam)
        return buffer.getvalue()
    finally:
        export.BULK_ROWS = old


def cells(data: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "dims": (ws.max_row, ws.max_column, ws.freeze_panes, ws.auto_filter.ref),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "cells": [
                [(c.value, c.data_type, c.number_format, c.font.b) for c in row] for row in ws.iter_rows()
            ],
        }
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kam", [None, "张三"])
def test_bulk_rows_equal_the_cell_by_cell_workbook(results, lang, kam):
    assert cells(written(results, True, lang, kam)) == cells(written(results, False, lang, kam))


def test_bulk_rows_are_deterministic_and_keep_the_zip_parts(results):
    a, b = written(results, True, "zh"), written(results, True, "zh")
    assert a == b
    reference = zipfile.ZipFile(io.BytesIO(written(results, False, "zh")))
    assert zipfile.ZipFile(io.BytesIO(a)).namelist() == reference.namelist()


def test_bulk_rows_escape_text(results):
    wb = openpyxl.load_workbook(io.BytesIO(written(results, True, "en")))
    names = [c.value for c in wb["leads"]["C"][1:]]
    assert 'a&b <c> "d"' in names
    assert "Tom O'Neil" in names  # names are stored normalised (one space)


def test_a_sheet_with_very_long_text_is_written_cell_by_cell(results, monkeypatch):
    """Text beyond the limit is truncated by xlsxwriter; the bulk rows leave such sheets to it."""
    monkeypatch.setattr(export, "_LONG_TEXT", 3)
    assert cells(written(results, True, "en")) == cells(written(results, False, "en"))


def test_text_with_outer_spaces_control_characters_and_empty_text_is_written_as_xlsxwriter_does(results):
    leads = results.leads.copy()
    odd = [" leading", "trailing ", "", "tab\there", "line\nbreak", "&amp; already", "<b>"]
    leads["customer_name"] = [odd[i % len(odd)] for i in range(len(leads))]
    changed = dataclasses.replace(results, leads=leads)
    assert cells(written(changed, True, "en")) == cells(written(changed, False, "en"))


def test_dates_around_excels_1900_leap_day_and_missing_times_are_written_as_xlsxwriter_does(results):
    leads = results.leads.copy()
    stamps = [
        "1900-01-05 10:00:00",
        "1900-02-28 23:59:59",
        "1900-03-01 00:00:00",
        "2026-11-02 12:34:56",
        None,
    ]
    leads["reported_at"] = pd.to_datetime([stamps[i % len(stamps)] for i in range(len(leads))])
    changed = dataclasses.replace(results, leads=leads)
    assert cells(written(changed, True, "zh")) == cells(written(changed, False, "zh"))
