"""dashboard.state: the workbooks offered for download are written from the shown results."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from dashboard import state


def test_a_one_kam_workbook_holds_only_that_kams_summary_row(upload, compute):
    upload("roster", [{"kam": "王伟", "team": "一组"}, {"kam": "李娜", "team": "二组"}])
    upload("leads", [{"reported_at": "2026-09-08 10:00", "kam": "王伟", "phone": "13812345678"}])
    results = compute()
    book = load_workbook(BytesIO(state.workbook_bytes(results, "zh", kam="李娜")), read_only=True)
    rows = list(book["汇总"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["李娜"]
    full = load_workbook(BytesIO(state.workbook_bytes(results, "zh")), read_only=True)
    assert [r[0] for r in list(full["汇总"].iter_rows(values_only=True))[1:]] == ["王伟", "李娜"]
