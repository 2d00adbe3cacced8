"""A sheet longer than Excel's row limit continues in sheets `leads_2`, `leads_3`, … with the header (SPEC §7)."""

from __future__ import annotations

import pytest

from kam_metrics.export.workbook import EXCEL_MAX_ROWS, SHEETS, sheet_titles
from kam_metrics.i18n import column_label, t
from tests.kam_metrics.export.test_bulk import cells, written

LIMIT = 5  # rows per sheet, the header included: 4 data rows


def values(sheet: dict) -> list[tuple]:
    return [tuple(cell[0] for cell in row) for row in sheet["cells"]]


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "cell_by_cell"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_long_sheets_continue_in_suffixed_sheets_with_the_header_and_every_row_once_in_order(
    mixed_results, lang, bulk
):
    whole = cells(written(mixed_results, bulk, lang))
    split = cells(written(mixed_results, bulk, lang, max_rows=LIMIT))
    expected_titles = []
    for sheet, columns in SHEETS.items():
        title = t(f"sheet.{sheet}", lang)
        header, *rows = values(whole[title])
        assert header == tuple(column_label(sheet, c, lang) for c, _ in columns)
        count = max(1, -(-len(rows) // (LIMIT - 1)))
        titles = [title] + [f"{title}_{i}" for i in range(2, count + 1)]
        expected_titles += titles
        pieces = [values(split[name]) for name in titles]
        assert [piece[0] for piece in pieces] == [header] * count  # every sheet starts with the header
        assert all(2 <= len(piece) <= LIMIT for piece in pieces) or rows == []
        assert [row for piece in pieces for row in piece[1:]] == rows  # each row once, in order
    assert list(split) == expected_titles


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_leads_of_the_test_data_take_three_sheets_of_four_rows(mixed_results, lang):
    split = cells(written(mixed_results, True, lang, max_rows=LIMIT))
    leads = t("sheet.leads", lang)
    assert [name for name in split if name.startswith(leads)] == [leads, f"{leads}_2", f"{leads}_3"]
    assert [split[name]["dims"][0] for name in (leads, f"{leads}_2", f"{leads}_3")] == [5, 5, 2]
    assert split[f"{leads}_2"]["dims"][2:] == ("A2", "A1:F5")  # frozen header, autofilter over its rows


def test_continued_sheets_are_written_alike_by_both_writers(mixed_results):
    assert cells(written(mixed_results, True, "zh", max_rows=LIMIT)) == cells(
        written(mixed_results, False, "zh", max_rows=LIMIT)
    )


def test_sheet_titles_follow_excels_limit_by_default():
    assert EXCEL_MAX_ROWS == 1_048_576
    assert sheet_titles("leads", 0) == ["leads"]
    assert sheet_titles("leads", 1_048_575) == ["leads"]
    assert sheet_titles("leads", 1_048_576) == ["leads", "leads_2"]
    assert sheet_titles("leads", 3_010_000) == ["leads", "leads_2", "leads_3"]


def test_a_limit_without_room_for_a_data_row_is_refused():
    with pytest.raises(ValueError, match="max_rows=1"):
        sheet_titles("leads", 3, max_rows=1)
