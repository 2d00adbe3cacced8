"""SPEC §2 v1.2 on the bundled sample: uploading week 5 again after week 12 changes no cell of the result workbook."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from kam_metrics.engine import report
from kam_metrics.export import workbook as export
from kam_metrics.ingest.store import Store

SAMPLE = sorted((Path(__file__).resolve().parents[3] / "data" / "sample").glob("*.xlsx"))


def workbook_cells(store: Store, lang: str) -> dict[str, list[tuple]]:
    buffer = io.BytesIO()
    export.write_workbook(report.compute(store), buffer, lang)
    wb = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    return {
        ws.title: [tuple((c.value, c.number_format, c.data_type) for c in row) for row in ws.iter_rows()]
        for ws in wb.worksheets
    }


def test_week_5_uploaded_again_after_week_12_gives_the_in_order_workbook(tmp_path):
    in_order = Store(tmp_path / "a" / "k.duckdb", create="anywhere")
    for path in SAMPLE:
        in_order.ingest(path)
    expected = {lang: workbook_cells(in_order, lang) for lang in ("en", "zh")}
    assert in_order.ingest(SAMPLE[4]).repeat_of == 5  # the same file again: a repeat
    assert {lang: workbook_cells(in_order, lang) for lang in ("en", "zh")} == expected
    in_order.undo(13)  # undo the repeat and week 5, and upload week 5 again, last: its deal rows lose
    in_order.undo(5)
    again = in_order.ingest(SAMPLE[4])
    assert again.repeat_of is None and again.upload_id == 14
    assert workbook_cells(in_order, "en") == expected["en"]
    in_order.close()

    late = Store(tmp_path / "b" / "k.duckdb", create="anywhere")
    for path in SAMPLE[:4] + SAMPLE[5:] + [SAMPLE[4]]:
        late.ingest(path)
    assert workbook_cells(late, "en") == expected["en"]
    late.close()
