"""The result workbook's bulk rows hold exactly the cells xlsxwriter's per-cell calls write (SPEC §7).

write_workbook(bulk=True) writes the data rows of every sheet as worksheet XML (kam_metrics.export.bulk; a
million-lead workbook has 7 million cells); bulk=False writes them cell by cell through xlsxwriter, the reference.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from kam_metrics.export import workbook as export


def written(results, bulk: bool, lang: str, kam=None, **options) -> bytes:
    buffer = io.BytesIO()
    export.write_workbook(results, buffer, lang=lang, kam=kam, bulk=bulk, **options)
    return buffer.getvalue()


def cells(data: bytes) -> dict:
    """Per sheet title: its dimensions, column widths and every cell (value, type, format, bold)."""
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
def test_bulk_rows_equal_the_cell_by_cell_workbook(mixed_results, lang, kam):
    assert cells(written(mixed_results, True, lang, kam)) == cells(written(mixed_results, False, lang, kam))


def test_bulk_rows_are_deterministic_and_keep_the_zip_parts(mixed_results):
    a, b = written(mixed_results, True, "zh"), written(mixed_results, True, "zh")
    assert a == b
    reference = zipfile.ZipFile(io.BytesIO(written(mixed_results, False, "zh")))
    assert zipfile.ZipFile(io.BytesIO(a)).namelist() == reference.namelist()


def test_bulk_rows_escape_text(mixed_results):
    wb = openpyxl.load_workbook(io.BytesIO(written(mixed_results, True, "en")))
    names = [c.value for c in wb["leads"]["C"][1:]]
    assert 'a&b <c> "d"' in names
    assert "Tom O'Neil" in names  # names are stored normalised (one space)


def test_a_sheet_with_text_longer_than_a_cell_holds_is_truncated_as_xlsxwriter_does(mixed_results):
    """xlsxwriter cuts text beyond 32,767 characters; the bulk rows leave such a sheet to its calls."""
    leads = mixed_results.leads.copy()
    leads["customer_name"] = leads["customer_name"].astype(object)
    leads.loc[leads.index[0], "customer_name"] = "长" * 40_000
    changed = dataclasses.replace(mixed_results, leads=leads)
    bulk = cells(written(changed, True, "en"))
    assert bulk == cells(written(changed, False, "en"))
    assert bulk["leads"]["cells"][1][2][0] == "长" * 32_767


def test_text_with_outer_spaces_control_characters_and_empty_text_is_written_as_xlsxwriter_does(
    mixed_results,
):
    leads = mixed_results.leads.copy()
    odd = [" leading", "trailing ", "", "tab\there", "line\nbreak", "&amp; already", "<b>"]
    leads["customer_name"] = [odd[i % len(odd)] for i in range(len(leads))]
    changed = dataclasses.replace(mixed_results, leads=leads)
    assert cells(written(changed, True, "en")) == cells(written(changed, False, "en"))


def test_dates_around_excels_1900_leap_day_and_missing_times_are_written_as_xlsxwriter_does(mixed_results):
    leads = mixed_results.leads.copy()
    stamps = [
        "1900-01-05 10:00:00",
        "1900-02-28 23:59:59",
        "1900-03-01 00:00:00",
        "2026-11-02 12:34:56",
        None,
    ]
    leads["reported_at"] = pd.to_datetime([stamps[i % len(stamps)] for i in range(len(leads))])
    changed = dataclasses.replace(mixed_results, leads=leads)
    assert cells(written(changed, True, "zh")) == cells(written(changed, False, "zh"))
