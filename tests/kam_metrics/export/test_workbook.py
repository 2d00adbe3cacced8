"""The result workbook (SPEC §7): sheets and columns, Chinese labels, text never a formula, cell types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.export.workbook import write_workbook
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store
from tests.helpers import SPEC_SHEETS, write_csv

# SPEC §7 v1.2: every sheet and column.
CONTRACT = SPEC_SHEETS
SHEETS = {sheet: columns.split(", ") for sheet, columns in CONTRACT.items()}

FORMULA_LIKE = ['=HYPERLINK("http://x","y")', "+张三", "-李四", "@王五", "=1+1"]

ROSTER = [
    {"kam": "张三", "team": "一组", "start_date": "2026-11-02"},
    {"kam": "李四", "team": "二组", "start_date": "2026-11-02", "end_date": "2026-12-31"},
]
LEADS = [
    {
        "reported_at": f"2026-11-0{2 + i} 10:0{i}",
        "kam": "张三",
        "phone": f"1380000000{i}",
        "customer_name": name,
    }
    for i, name in enumerate(FORMULA_LIKE)
] + [
    {"reported_at": "2026-11-03 11:00", "kam": "李四", "phone": "13900000001", "customer_name": "赵先生"},
    {
        "reported_at": "2026-11-03 12:00",
        "kam": "李四",
        "phone": "12345",
        "customer_name": "坏号码",
    },  # rejected
]
VISITS = [
    {
        "visited_at": "2026-11-04 15:30",
        "kam": "张三",
        "phone": "13800000000",
        "party_size": "三",
        "salesperson": "王销售",
    },
    {
        "visited_at": "2026-11-05",
        "kam": "李四",
        "phone": "13900000001",
        "party_size": "2",
        "salesperson": "王销售",
    },
]
UNITS = [
    {"date": "2026-11-03", "kam": "张三", "unit_name": "=1+1", "photo": "a.jpg"},
    {"date": "2026-11-04 09:15", "kam": "李四", "unit_name": "@学校", "photo": "b.jpg"},
]
DEALS = [
    {
        "signed_at": "2026-11-06",
        "phone": "13800000000",
        "property": "A-101",
        "salesperson": "王销售",
        "salesperson_commission": "4,001.01",
    },
    {
        "signed_at": "2026-11-07 16:00",
        "phone": "13900000001",
        "property": "-B-202",
        "salesperson": "王销售",
        "salesperson_commission": "3000",
        "status": "退房",
        "cancelled_at": "2026-11-20",
    },
    {
        "signed_at": "2026-11-08",
        "phone": "13700000000",
        "property": "C-303",
        "salesperson": "王销售",
        "salesperson_commission": "1000",
    },
]
DATA = [("roster", ROSTER), ("leads", LEADS), ("visits", VISITS), ("units", UNITS), ("deals", DEALS)]


def upload_all(upload):
    for kind, rows in DATA:
        upload(kind, rows)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """The engine's results of DATA, computed once for the module (tests only read them)."""
    folder = tmp_path_factory.mktemp("export")
    store = Store(folder / "kam.duckdb")
    for kind, rows in DATA:
        store.ingest(write_csv(folder / f"{KINDS[kind].aliases[0]}.csv", kind, rows))
    yield report.compute(store)
    store.close()


def _opened(results, tmp_path_factory, lang: str):
    """The result workbook written to a file in ``lang`` and read back."""
    path = tmp_path_factory.mktemp(f"export_{lang}") / f"result_{lang}.xlsx"
    write_workbook(results, path, lang=lang)
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def workbook(results, tmp_path_factory):
    return _opened(results, tmp_path_factory, "en")


@pytest.fixture(scope="module")
def workbook_zh(results, tmp_path_factory):
    return _opened(results, tmp_path_factory, "zh")


def header(ws) -> list:
    return [c.value for c in ws[1]]


def column(ws, name: str) -> list:
    """The data cells of the column headed ``name``."""
    j = header(ws).index(name)
    return [row[j] for row in ws.iter_rows(min_row=2)]


def values(path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def test_the_english_workbook_has_exactly_the_sheets_and_columns_of_the_contract_in_order(workbook):
    assert {ws.title: header(ws) for ws in workbook.worksheets} == SHEETS
    assert workbook.sheetnames == list(SHEETS)


def test_the_chinese_workbook_names_sheets_from_the_locale_file(workbook_zh):
    wb = workbook_zh
    assert wb.sheetnames == [t(f"sheet.{s}", "zh") for s in SHEETS]
    assert wb.sheetnames[0] == "汇总"
    for ws, (sheet, columns) in zip(wb.worksheets, SHEETS.items(), strict=True):
        labels = header(ws)
        assert len(labels) == len(columns), sheet
        assert len(set(labels)) == len(labels), sheet
        assert all(label and label.strip() for label in labels), sheet


@pytest.mark.parametrize(
    ("sheet", "column_name", "label"),
    [
        ("summary", "kam", "大客户经理"),
        ("leads", "kam", "大客户经理"),
        ("leads", "phone", "手机号"),
        ("leads", "customer_name", "客户姓名"),
        ("leads", "reported_at", "报备时间"),
        ("visits", "visited_at", "到访时间"),
        ("visits", "salesperson", "接待置业顾问"),
        ("units", "date", "拓展日期"),
        ("units", "unit_name", "单位名称"),
        ("commissions", "phone", "手机号"),
        ("commissions", "property", "房号"),
        ("commissions", "signed_at", "成交日期"),
        ("commissions", "salesperson", "置业顾问"),
        ("commissions", "salesperson_commission", "置业顾问佣金"),
    ],
)
def test_a_chinese_column_header_is_the_first_alias_of_its_column(workbook_zh, sheet, column_name, label):
    ws = workbook_zh[t(f"sheet.{sheet}", "zh")]
    assert header(ws)[SHEETS[sheet].index(column_name)] == label


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_a_customer_name_that_looks_like_a_formula_is_written_as_text(workbook, text):
    names = [c for c in column(workbook["leads"], "customer_name") if c.value == text]
    assert len(names) == 1
    assert names[0].data_type == "s"


@pytest.mark.parametrize(
    ("sheet", "name", "text"),
    [("units", "unit_name", "=1+1"), ("units", "unit_name", "@学校"), ("commissions", "property", "-B-202")],
)
def test_other_text_that_looks_like_a_formula_is_written_as_text(workbook, sheet, name, text):
    cells = [c for c in column(workbook[sheet], name) if c.value == text]
    assert cells
    assert all(c.data_type == "s" for c in cells)


def test_no_cell_of_the_workbook_is_a_formula(workbook):
    assert [
        c.coordinate
        for ws in workbook.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ] == []


@pytest.mark.parametrize("sheet", ["leads", "visits", "commissions"])
def test_phone_numbers_are_text(workbook, sheet):
    phones = [c for c in column(workbook[sheet], "phone") if c.value is not None]
    assert phones
    assert all(c.data_type == "s" and len(c.value) == 11 for c in phones)


@pytest.mark.parametrize(
    ("sheet", "name"),
    [
        ("weekly", "week_start"),
        ("commissions", "signed_at"),
        ("leads", "reported_at"),
        ("visits", "visited_at"),
        ("units", "date"),
    ],
)
def test_dates_and_times_are_date_cells(workbook, sheet, name):
    cells = column(workbook[sheet], name)
    assert cells
    assert all(c.is_date and isinstance(c.value, dt.datetime) for c in cells)


def test_a_time_of_day_survives_in_the_date_cell(workbook):
    visited = [c.value for c in column(workbook["visits"], "visited_at")]
    assert dt.datetime(2026, 11, 4, 15, 30) in visited


@pytest.mark.parametrize(
    ("sheet", "names"),
    [
        ("summary", ["fines_total", "commission_total", "clawback_total", "net_total"]),
        ("weekly", ["fine"]),
        ("statement", ["commission", "clawback", "fines", "net"]),
        ("commissions", ["salesperson_commission", "kam_commission", "salesperson_net"]),
    ],
)
def test_money_is_shown_with_two_decimals(workbook, sheet, names):
    for name in names:
        cells = [c for c in column(workbook[sheet], name) if c.value is not None]
        assert cells, name
        assert all("0.00" in c.number_format for c in cells), name


def test_every_sheet_has_a_frozen_header_and_an_autofilter(workbook):
    assert {ws.title: ws.freeze_panes for ws in workbook.worksheets} == dict.fromkeys(SHEETS, "A2")
    assert all(ws.auto_filter.ref for ws in workbook.worksheets)


def test_figures_in_the_workbook_equal_the_engines(results, workbook):
    ws = workbook["summary"]
    shown = {r[0]: r[8] for r in ws.iter_rows(min_row=2, values_only=True)}
    engine = dict(zip(results.summary["kam"], results.summary["net_total"], strict=True))
    assert set(shown) == set(engine) == {"张三", "李四"}
    assert {k: Decimal(str(v)).quantize(Decimal("0.01")) for k, v in shown.items()} == engine
    kam_commission = [r[8] for r in workbook["commissions"].iter_rows(min_row=2, values_only=True)]
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in kam_commission] == list(
        results.commissions["kam_commission"]
    )


def test_commission_lines_carry_the_engines_exact_cents(workbook):
    rows = [r for r in workbook["commissions"].iter_rows(min_row=2, values_only=True) if r[2] == "A-101"]
    assert [(r[0], r[6], r[8], r[9], r[10]) for r in rows] == [
        ("张三", "visit_deal", 2000.51, 2000.5, "commission")
    ]


def test_the_same_data_uploaded_twice_gives_an_identical_workbook(store, upload, tmp_path):
    upload_all(upload)
    write_workbook(report.compute(store), tmp_path / "once.xlsx", lang="en")
    upload_all(upload)
    write_workbook(report.compute(store), tmp_path / "twice.xlsx", lang="en")
    assert values(tmp_path / "twice.xlsx") == values(tmp_path / "once.xlsx")


def test_the_workbook_holds_rejected_rows_and_warnings(workbook):
    rejected = list(workbook["rejected"].iter_rows(min_row=2, values_only=True))
    warnings = list(workbook["warnings"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in rejected] == [("报备", 8)]
    assert [(w[1], w[2], w[3]) for w in warnings] == [("带访", 2, "人数")]
