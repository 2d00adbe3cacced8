"""SPEC §2 Input sheets: which sheets are read, as which kind, from which header row, and which files are refused."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from kam_metrics.contract.sheets import KINDS
from kam_metrics.ingest.reader import UnreadableFile, read_file

LEAD_HEADER = ["报备时间", "大客户经理", "手机号"]
LEAD_ROW = ["2026-03-05 10:00", "王伟", "13812345678"]


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An .xlsx with one worksheet per entry, cells written as text."""
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None:
                    ws.write_string(i, j, value)
    wb.close()
    return path


def write_rows_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


def _sheets(result) -> list[tuple[str, str, int, dict, list[int]]]:
    """Each read sheet as (name, kind, header row, field → header text, Excel row numbers)."""
    return [(s.name, s.kind, s.header_row, s.headers, s.row_numbers.to_pylist()) for s in result.sheets]


# -- recognition by name ----------------------------------------------------------------------------


# 客户姓名 + 手机号 fit registrations, leads, visits and deals alike; only the name can pick one.
AMBIGUOUS = [["客户姓名", "手机号"], ["张三", "13812345678"]]


@pytest.mark.parametrize(
    ("sheet_name", "rows", "kind"),
    [
        ("报备", AMBIGUOUS, "leads"),
        ("leads", AMBIGUOUS, "leads"),
        (" Leads ", AMBIGUOUS, "leads"),
        ("LEADS", AMBIGUOUS, "leads"),
        ("ＬＥＡＤＳ", AMBIGUOUS, "leads"),
        ("报 备", AMBIGUOUS, "leads"),
        ("诚意客户", AMBIGUOUS, "leads"),
        ("带访", AMBIGUOUS, "visits"),
        ("Visits", AMBIGUOUS, "visits"),
        ("成交登记", AMBIGUOUS, "deals"),
        ("Registry", AMBIGUOUS, "registrations"),
        ("Sheet1", AMBIGUOUS, "registrations"),  # unknown name: the header decides, by table order
        ("名单", [["大客户经理", "团队"], ["王伟", "A组"]], "roster"),
        ("KAMS", [["大客户经理", "团队"], ["王伟", "A组"]], "roster"),
        ("拓展 单位", [["日期", "大客户经理", "单位"], ["2026-03-05", "王伟", "ABC公司"]], "units"),
    ],
)
def test_sheet_is_recognised_by_its_name_after_nfkc_space_and_case_folding(tmp_path, sheet_name, rows, kind):
    path = write_workbook(tmp_path / "w.xlsx", {sheet_name: rows})
    assert [(s.name, s.kind) for s in read_file(path).sheets] == [(sheet_name, kind)]


@pytest.mark.parametrize(
    ("file_name", "kind", "sheet"),
    [
        ("报备.csv", "leads", "报备"),
        ("Leads.CSV", "leads", "Leads"),
        ("visits.csv", "visits", "visits"),
        ("成交.csv", "deals", "成交"),
        ("2026年3月数据.csv", "registrations", "2026年3月数据"),
    ],
)
def test_csv_sheet_name_is_its_file_name_without_extension(tmp_path, file_name, kind, sheet):
    path = write_rows_csv(tmp_path / file_name, AMBIGUOUS)
    assert [(s.name, s.kind) for s in read_file(path).sheets] == [(sheet, kind)]


def test_name_decides_the_kind_even_when_the_header_fits_another_kind_better(tmp_path):
    # The header is a complete visits header, but the sheet is named 报备: it is read as leads.
    header = ["到访时间", "大客户经理", "手机号", "人数"]
    path = write_workbook(tmp_path / "w.xlsx", {"报备": [header, ["2026-03-05", "王伟", "13812345678", "2"]]})
    assert _sheets(read_file(path)) == [("报备", "leads", 1, {"kam": "大客户经理", "phone": "手机号"}, [2])]


# -- recognition by header --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_sheet_with_unknown_name_is_recognised_by_its_canonical_header(tmp_path, kind):
    header = [f.canonical for f in KINDS[kind].fields]
    path = write_workbook(tmp_path / "w.xlsx", {"Sheet1": [header, ["x"] * len(header)]})
    [sheet] = read_file(path).sheets
    assert (sheet.kind, sheet.headers) == (kind, {f.name: f.canonical for f in KINDS[kind].fields})


def test_column_headers_are_compared_after_nfkc_space_and_case_folding(tmp_path):
    header = ["Reported_At", " ＫＡＭ ", "手 机 号", "客户\u3000姓名"]
    path = write_workbook(tmp_path / "w.xlsx", {"Sheet1": [header, LEAD_ROW + ["张三"]]})
    assert _sheets(read_file(path)) == [
        (
            "Sheet1",
            "leads",
            1,
            {
                "reported_at": "Reported_At",
                "kam": "ＫＡＭ",
                "phone": "手 机 号",
                "customer_name": "客户\u3000姓名",
            },
            [2],
        )
    ]


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        # required columns all present beats more matched columns:
        # roster has kam (姓名) + team = 2, complete; registrations has 姓名, 手机号, 置业顾问, 来源 = 4, incomplete
        (["姓名", "团队", "手机号", "置业顾问", "来源"], "roster"),
        # visits complete (4) beats leads incomplete (2)
        (["到访时间", "大客户经理", "手机号", "人数"], "visits"),
        # both complete: the most matched columns wins (visits 4 > leads 3)
        (["报备时间", "到访时间", "大客户经理", "手机号", "人数"], "visits"),
        # both incomplete: the most matched columns wins (visits 4 > leads 3)
        (["大客户经理", "手机号", "客户姓名", "人数"], "visits"),
        # equal and incomplete: table order (leads before visits)
        (["大客户经理", "手机号"], "leads"),
        # equal and incomplete: table order (registrations first)
        (["客户姓名", "手机号"], "registrations"),
        # equal and complete: table order (units before leads)
        (["拓展日期", "报备时间", "大客户经理", "单位名称", "手机号"], "units"),
    ],
)
def test_header_fitting_several_kinds_goes_to_complete_then_widest_then_first_kind(tmp_path, header, kind):
    path = write_workbook(tmp_path / "w.xlsx", {"Sheet1": [header, ["x"] * len(header)]})
    assert [s.kind for s in read_file(path).sheets] == [kind]


# -- header row position ----------------------------------------------------------------------------


@pytest.mark.parametrize("titles", [0, 1, 2, 9])
def test_title_rows_above_the_header_are_skipped(tmp_path, titles):
    rows = (
        [["保利国际广场客户报备表"]] * (titles - 1)
        + [[""]] * min(titles, 1)
        + [LEAD_HEADER, LEAD_ROW, LEAD_ROW]
    )
    path = write_rows_csv(tmp_path / "报备.csv", rows)
    header_row = titles + 1
    assert _sheets(read_file(path)) == [
        (
            "报备",
            "leads",
            header_row,
            {"reported_at": "报备时间", "kam": "大客户经理", "phone": "手机号"},
            [header_row + 1, header_row + 2],
        )
    ]


def test_title_rows_above_the_header_are_skipped_in_a_workbook(tmp_path):
    rows = [["保利国际广场客户报备表"], [None], ["制表：策划部", "2026-03"], LEAD_HEADER, LEAD_ROW]
    path = write_workbook(tmp_path / "w.xlsx", {"Sheet1": rows})
    assert _sheets(read_file(path)) == [
        ("Sheet1", "leads", 4, {"reported_at": "报备时间", "kam": "大客户经理", "phone": "手机号"}, [5])
    ]


@pytest.mark.parametrize(
    ("sheet_name", "note"), [("报备", "note.no_header"), ("Sheet1", "note.ignored_sheet")]
)
def test_header_below_the_tenth_row_is_not_found(tmp_path, sheet_name, note):
    rows = [[f"标题 {i}"] for i in range(10)] + [LEAD_HEADER, LEAD_ROW]
    path = write_workbook(tmp_path / "w.xlsx", {sheet_name: rows})
    result = read_file(path)
    assert (result.sheets, result.notes) == ([], [(note, {"sheet": sheet_name})])


def test_header_below_ten_empty_rows_is_not_found(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(10, 0, LEAD_HEADER)  # Excel row 11
    ws.write_row(11, 0, LEAD_ROW)
    wb.close()
    assert read_file(path).sheets == []


def test_excel_row_numbers_count_leading_empty_rows_and_columns(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("报备")
    ws.write_row(2, 1, LEAD_HEADER)  # B3
    ws.write_row(3, 1, LEAD_ROW)
    ws.write_row(5, 1, LEAD_ROW)  # row 5 is empty
    wb.close()
    assert _sheets(read_file(path)) == [
        ("报备", "leads", 3, {"reported_at": "报备时间", "kam": "大客户经理", "phone": "手机号"}, [4, 6])
    ]


# -- columns ----------------------------------------------------------------------------------------


def test_unknown_columns_are_kept_but_ignored(store, tmp_path):
    header = ["备注", "报备时间", "序号", "大客户经理", "手机号", "其他"]
    path = write_rows_csv(tmp_path / "报备.csv", [header, ["老客户", *LEAD_ROW[:1], "7", *LEAD_ROW[1:], "x"]])
    result = store.ingest(path)
    assert (result.sheets[0].accepted, result.rejected) == (1, [])
    rows = (
        store.cursor().execute("select reported_at::varchar, kam, phone, customer_name from leads").fetchall()
    )
    assert rows == [("2026-03-05 10:00:00", "王伟", "13812345678", None)]


@pytest.mark.parametrize(
    "header",
    [
        ["报备时间", "大客户经理", "手机号", "电话"],
        ["报备时间", "大客户经理", "手机号", "手机号"],
        ["报备时间", "大客户经理", "客户电话", "phone"],
    ],
)
def test_two_columns_mapping_to_one_field_the_first_wins(store, tmp_path, header):
    path = write_rows_csv(tmp_path / "报备.csv", [header, [*LEAD_ROW, "13999999999"]])
    [sheet] = read_file(path).sheets
    assert sheet.headers == {"reported_at": "报备时间", "kam": "大客户经理", "phone": header[2]}
    store.ingest(path)
    assert store.cursor().execute("select phone from leads").fetchall() == [("13812345678",)]


# -- sheets that are not read -----------------------------------------------------------------------


def test_sheets_without_a_header_row_are_ignored_with_a_note(store, tmp_path):
    path = write_workbook(
        tmp_path / "w.xlsx",
        {
            "说明": [["本表由策划部每周更新"], ["联系人：王伟"]],
            "报备": [["只有一列"], ["王伟"]],
            "成交": [LEAD_HEADER, LEAD_ROW],  # known name, but no two deal aliases in any row
            "Sheet4": [LEAD_HEADER, LEAD_ROW],
        },
    )
    result = store.ingest(path)
    assert result.notes == [
        ("note.ignored_sheet", {"sheet": "说明"}),
        ("note.no_header", {"sheet": "报备"}),
        ("note.no_header", {"sheet": "成交"}),
    ]
    assert [(c.sheet, c.kind, c.read, c.accepted) for c in result.sheets] == [("Sheet4", "leads", 1, 1)]


# -- encodings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_may_be_utf8_with_or_without_bom_or_gb18030(store, tmp_path, encoding):
    rows = [
        ["保利国际广场报备表"],
        [*LEAD_HEADER, "客户姓名"],
        [*LEAD_ROW, "张三丰"],
        [*LEAD_ROW[:2], "13912345678", "李四"],
    ]
    path = write_rows_csv(tmp_path / "报备.csv", rows, encoding)
    result = store.ingest(path)
    assert [(c.sheet, c.kind, c.read, c.accepted, c.rejected) for c in result.sheets] == [
        ("报备", "leads", 2, 2, 0)
    ]
    stored = store.cursor().execute("select kam, phone, customer_name from leads order by row_no").fetchall()
    assert stored == [("王伟", "13812345678", "张三丰"), ("王伟", "13912345678", "李四")]


# -- unreadable files -------------------------------------------------------------------------------


def _text_renamed_xlsx(path: Path) -> Path:
    path = path / "报备.xlsx"
    path.write_text("报备时间,大客户经理,手机号\n2026-03-05,王伟,13812345678\n", encoding="utf-8")
    return path


def _truncated_xlsx(path: Path) -> Path:
    whole = write_workbook(path / "whole.xlsx", {"报备": [LEAD_HEADER, LEAD_ROW]})
    data = whole.read_bytes()
    target = path / "报备.xlsx"
    target.write_bytes(data[: len(data) // 2])
    return target


def _zip_not_a_workbook(path: Path) -> Path:
    target = path / "报备.xlsx"
    with zipfile.ZipFile(target, "w") as z:
        z.writestr("readme.txt", "hello")
    return target


def _empty(path: Path) -> Path:
    target = path / "报备.csv"
    target.write_bytes(b"")
    return target


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (_text_renamed_xlsx, "not_spreadsheet"),
        (_truncated_xlsx, "corrupt"),
        (_zip_not_a_workbook, "not_spreadsheet"),
        (_empty, "empty"),
    ],
)
def test_unreadable_file_raises_with_its_code_and_stores_nothing(store, tmp_path, make, code):
    before = (store.counts(), store.uploads().to_dict("records"), store.version())
    path = make(tmp_path)
    with pytest.raises(UnreadableFile) as raised:
        store.ingest(path)
    assert raised.value.code == code
    assert (store.counts(), store.uploads().to_dict("records"), store.version()) == before
    assert not (tmp_path / "uploads").exists() or list((tmp_path / "uploads").iterdir()) == []


def test_unreadable_file_after_a_good_upload_leaves_it_untouched(store, upload, tmp_path):
    upload("leads", [dict(zip(["reported_at", "kam", "phone"], LEAD_ROW, strict=True))])
    before = (store.counts(), store.uploads().to_dict("records"), store.version())
    with pytest.raises(UnreadableFile):
        store.ingest(_truncated_xlsx(tmp_path))
    assert (store.counts(), store.uploads().to_dict("records"), store.version()) == before
