"""Issue 10: a web page saved as .xls (CRM/OA exports) is read when it holds a table, else refused with advice."""

from __future__ import annotations

import pytest

from kam_metrics.i18n import t
from kam_metrics.ingest.reader import UnreadableFile, read_file

PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>
<table border=1><tr><th>报备时间</th><th>大客户经理</th><th>客户姓名</th><th>手机号</th></tr>
<tr><td>2026-03-03 10:00</td><td>王伟</td><td>李&amp;四</td><td>13800000002</td></tr>
<tr><td></td><td></td><td></td><td></td></tr>
<tr><td>2026-03-04 11:00</td><td colspan="1">张三</td><td>韩梅梅</td><td>13800000003</td></tr>
</table></body></html>"""


def test_an_html_table_saved_as_xls_is_read_like_a_sheet_with_its_row_numbers(tmp_path):
    path = tmp_path / "报备导出.xls"
    path.write_bytes(PAGE.encode("gb18030"))
    [sheet] = read_file(path).sheets
    assert sheet.kind == "leads"
    assert sheet.columns["kam"].to_pylist() == ["王伟", "张三"]
    assert sheet.columns["customer_name"].to_pylist() == ["李&四", "韩梅梅"]
    assert sheet.columns["phone"].to_pylist() == ["13800000002", "13800000003"]
    assert sheet.row_numbers.to_pylist() == [2, 4]


def test_an_html_table_saved_as_xls_is_stored(store, tmp_path):
    path = tmp_path / "报备导出.xls"
    path.write_text(PAGE.replace("gb2312", "utf-8"), encoding="utf-8")
    assert [(c.kind, c.accepted) for c in store.ingest(path).sheets] == [("leads", 2)]


def test_a_web_page_without_a_table_is_refused_asking_to_save_it_as_xlsx(tmp_path):
    path = tmp_path / "导出.xls"
    path.write_text("<!DOCTYPE html><html><body><p>会话已过期</p></body></html>", encoding="utf-8")
    with pytest.raises(UnreadableFile) as e:
        read_file(path)
    assert e.value.code == "html_no_table"
    assert "请用 Excel 另存为 .xlsx" in t("unreadable.html_no_table", "zh")


def test_the_not_a_spreadsheet_message_lists_every_accepted_type():
    for lang in ("zh", "en"):
        text = t("unreadable.not_spreadsheet", lang)
        assert all(ext in text for ext in (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt", ".tsv"))
