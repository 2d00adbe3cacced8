"""SPEC §2 Normalisation: every cell rule, checked through a real upload and read back from the store."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

PHONE = "13812345678"
DAY = dt.datetime(2026, 3, 5)


def _stored(store, table: str, *columns: str) -> list[tuple]:
    """The stored rows of one table, in upload and row order."""
    cols = ", ".join(f'"{c}"' for c in columns)
    return store.cursor().execute(f"select {cols} from {table} order by upload_id, row_no").fetchall()


def _lead(**values) -> dict:
    return {"reported_at": "2026-03-05 10:00", "kam": "王伟", "phone": PHONE} | values


def _deal(**values) -> dict:
    return {
        "signed_at": "2026-03-05",
        "phone": PHONE,
        "property": "1-101",
        "salesperson": "李娜",
        "salesperson_commission": "4000",
    } | values


def _problems(result) -> list[list[dict]]:
    return [r["problems"] for r in result.rejected]


def write_xlsx(path: Path, sheet: str, header: list[str], rows: list[list[object]]) -> Path:
    """A workbook as Excel writes it: datetimes as real date cells, int/float as number cells, str as text."""
    wb = xlsxwriter.Workbook(str(path))
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws = wb.add_worksheet(sheet)
    ws.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(i, j, value, stamp)
            elif isinstance(value, (int, float)):
                ws.write_number(i, j, value)
            elif value is not None:
                ws.write_string(i, j, value)
    wb.close()
    return path


# -- text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("A组", "A组"),
        ("  A组  ", "A组"),
        ("\tA组\t", "A组"),
        ("\u3000A组\u3000", "A组"),
        ("ＴｅａｍＡ", "TeamA"),
        ("１２３", "123"),
        ("Ａ　组", "A 组"),
        ("A\u200b组", "A组"),
    ],
)
def test_text_is_nfkc_normalised_and_trimmed(upload, store, raw, stored):
    upload("roster", [{"kam": "王伟", "team": raw}])
    assert _stored(store, "roster", "kam", "team") == [("王伟", stored)]


@pytest.mark.parametrize("blank", ["", " ", "   ", "\t", "\u3000", "\u00a0"])
def test_text_empty_after_trimming_is_missing(upload, store, blank):
    result = upload("roster", [{"kam": "王伟", "team": blank}, {"kam": blank, "team": "A组"}])
    assert _stored(store, "roster", "kam", "team") == [("王伟", None)]
    assert _problems(result) == [[{"code": "missing", "column": "大客户经理", "value": None}]]


@pytest.mark.parametrize(
    "blank",
    [
        "",
        " ",
        "\t",
        "\u3000",
        "\u00a0",  # no-break space
        "\u2002",  # en space
        "\u200b",  # zero-width space
    ],
)
def test_row_whose_cells_are_all_missing_is_neither_counted_nor_rejected(upload, blank):
    blank_row = {"reported_at": blank, "kam": blank, "phone": blank}
    result = upload("leads", [_lead(), blank_row, _lead(phone="13912345678")])
    counts = result.sheets[0]
    assert (counts.read, counts.accepted, counts.rejected) == (2, 2, 0)
    assert result.rejected == []


# -- person names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("王伟", "王伟"),
        ("王 伟", "王伟"),
        ("王\u3000伟", "王伟"),
        ("王  \t 伟", "王伟"),
        ("王 小 明", "王小明"),
        ("王 小 明 华", "王小明华"),
        ("John   Smith", "John Smith"),
        ("John\tSmith", "John Smith"),
        ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHN SMITH"),
        ("王 John", "王 John"),
        ("  王 伟  ", "王伟"),
    ],
)
def test_person_names_drop_space_between_han_and_collapse_other_space(upload, store, raw, stored):
    upload(
        "visits",
        [
            {
                "visited_at": "2026-03-05 10:00",
                "kam": raw,
                "customer_name": raw,
                "phone": PHONE,
                "salesperson": raw,
            }
        ],
    )
    upload("deals", [_deal(customer_name=raw, salesperson=raw)])
    upload("roster", [{"kam": raw, "team": "A组"}])
    assert _stored(store, "visits", "kam", "customer_name", "salesperson") == [(stored, stored, stored)]
    assert _stored(store, "deals", "customer_name", "salesperson") == [(stored, stored)]
    assert _stored(store, "roster", "kam") == [(stored,)]


def test_person_name_with_and_without_han_space_is_the_same_person(upload, store):
    result = upload("leads", [_lead(kam="王伟"), _lead(kam="王 伟")])
    assert result.sheets[0].duplicates == 1
    assert _stored(store, "leads", "kam", "phone") == [("王伟", PHONE)]


# -- phones -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "13812345678.0",
        "13812345678.00",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "008613812345678",
        "0086 13812345678",
        "8613812345678",
        "86 13812345678",
        "138 1234 5678",
        "138-1234-5678",
        " 13812345678 ",
        "１３８１２３４５６７８",
        "＋８６　１３８１２３４５６７８",
        "(+86) 138-1234-5678",
    ],
)
def test_phone_keeps_digits_and_drops_country_code(upload, store, raw):
    result = upload("leads", [_lead(phone=raw)])
    assert result.rejected == []
    assert _stored(store, "leads", "phone") == [(PHONE,)]


@pytest.mark.parametrize("cell", [13812345678.0, 13812345678, "13812345678.0", 8613812345678])
def test_phone_in_a_number_cell_is_the_same_number(store, tmp_path, cell):
    path = write_xlsx(
        tmp_path / "leads.xlsx", "报备", ["报备时间", "大客户经理", "手机号"], [["2026-03-05", "王伟", cell]]
    )
    result = store.ingest(path)
    assert result.rejected == []
    assert _stored(store, "leads", "phone") == [(PHONE,)]


@pytest.mark.parametrize(
    "raw",
    [
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "010-12345678",  # landline
        "021 5888 8888",  # landline
        "12812345678",  # no mobile starts with 12
        "10812345678",
        "23812345678",
        "+1 13812345678",
        "861381234567",  # 86 before 10 digits
        "abc",
        "138****5678",
    ],
)
def test_phone_that_is_not_a_mainland_mobile_rejects_the_row(upload, store, raw):
    result = upload("leads", [_lead(phone=raw)])
    assert _problems(result) == [[{"code": "bad_phone", "column": "手机号", "value": raw}]]
    assert _stored(store, "leads", "phone") == []


# -- unit names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["ABC科技公司", "abc科技公司", "ABC 科技 公司", "ＡＢＣ　科技公司", " Abc\t科技公司 ", "ａｂｃ科技公司"],
)
def test_unit_name_key_ignores_width_space_and_case(upload, store, spelling):
    unit = {"date": "2026-03-05", "kam": "王伟", "photo": "p.jpg"}
    result = upload("units", [unit | {"unit_name": "ABC科技公司"}, unit | {"unit_name": spelling}])
    assert (result.sheets[0].accepted, result.sheets[0].duplicates) == (2, 1)
    assert _stored(store, "units", "unit_name", "unit_key") == [("ABC科技公司", "abc科技公司")]


def test_unit_export_shows_each_rows_own_trimmed_spelling(upload, compute):
    upload(
        "units",
        [
            {"date": "2026-03-05", "kam": "王伟", "unit_name": "  ABC 科技公司 ", "photo": "p.jpg"},
            {"date": "2026-03-06", "kam": "李娜", "unit_name": "abc科技公司", "photo": "p.jpg"},
        ],
    )
    units = compute().units[["kam", "unit_name", "unit_key", "status"]]
    assert units.to_dict("records") == [
        {"kam": "王伟", "unit_name": "ABC 科技公司", "unit_key": "abc科技公司", "status": "valid"},
        {"kam": "李娜", "unit_name": "abc科技公司", "unit_key": "abc科技公司", "status": "duplicate_unit"},
    ]


# -- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("4000", Decimal("4000.00")),
        ("4000.5", Decimal("4000.50")),
        ("4,000", Decimal("4000.00")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("¥4000", Decimal("4000.00")),
        ("￥4,000", Decimal("4000.00")),
        ("¥ 4,000.00", Decimal("4000.00")),
        ("4000元", Decimal("4000.00")),
        ("4,000 元", Decimal("4000.00")),
        ("￥4,000元", Decimal("4000.00")),
        ("０", Decimal("0.00")),
    ],
)
def test_numbers_may_carry_thousands_separators_yen_sign_and_yuan(upload, store, raw, value):
    result = upload("deals", [_deal(amount=raw, salesperson_commission=raw)])
    assert result.rejected == [] and result.warnings == []
    assert _stored(store, "deals", "amount", "salesperson_commission") == [(value, value)]


@pytest.mark.parametrize("cell", [4000, 4000.0, 1234567.89])
def test_number_cells_are_numbers(store, tmp_path, cell):
    header = ["成交日期", "手机号", "房号", "置业顾问", "置业顾问佣金", "成交金额"]
    path = write_xlsx(
        tmp_path / "d.xlsx", "成交", header, [["2026-03-05", PHONE, "1-101", "李娜", cell, cell]]
    )
    store.ingest(path)
    value = Decimal(str(cell)).quantize(Decimal("0.01"))
    assert _stored(store, "deals", "amount", "salesperson_commission") == [(value, value)]


@pytest.mark.parametrize("raw", ["-100", "-1,000元", "¥-4000"])
def test_negative_commission_rejects_the_row(upload, store, raw):
    result = upload("deals", [_deal(salesperson_commission=raw)])
    assert _problems(result) == [[{"code": "negative_commission", "column": "置业顾问佣金", "value": raw}]]
    assert _stored(store, "deals", "property") == []


@pytest.mark.parametrize("raw", ["四千", "4000-", "4.000.00", "abc"])
def test_unreadable_required_number_rejects_the_row(upload, raw):
    result = upload("deals", [_deal(salesperson_commission=raw)])
    assert _problems(result) == [[{"code": "bad_number", "column": "置业顾问佣金", "value": raw}]]


# -- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored", "date_only"),
    [
        ("2026-03-05", DAY, True),
        ("2026/03/05", DAY, True),
        ("2026.03.05", DAY, True),
        ("2026-3-5", DAY, True),
        ("2026/3/5", DAY, True),
        ("2026.3.5", DAY, True),
        ("2026年3月5日", DAY, True),
        ("2026年03月05日", DAY, True),
        ("２０２６－０３－０５", DAY, True),
        ("２０２６年３月５日", DAY, True),
        ("2026-03-05 9:05", DAY.replace(hour=9, minute=5), False),
        ("2026-03-05 09:05:07", DAY.replace(hour=9, minute=5, second=7), False),
        ("2026-03-05   09:05", DAY.replace(hour=9, minute=5), False),
        ("2026-03-05T09:05", DAY.replace(hour=9, minute=5), False),
        ("2026-03-05T09:05:07", DAY.replace(hour=9, minute=5, second=7), False),
        ("2026/3/5 9:05:07", DAY.replace(hour=9, minute=5, second=7), False),
        ("2026.3.5 23:59", DAY.replace(hour=23, minute=59), False),
        ("2026年3月5日 9:05", DAY.replace(hour=9, minute=5), False),
        ("2026年3月5日9:05", DAY.replace(hour=9, minute=5), False),
        ("2026年3月5日9:05:07", DAY.replace(hour=9, minute=5, second=7), False),
        ("2026-03-05 09:05:07.4", DAY.replace(hour=9, minute=5, second=7), False),
        ("2026-03-05 09:05:07.6", DAY.replace(hour=9, minute=5, second=8), False),
        ("46086", DAY, True),  # Excel serial number as text in a CSV
        ("46086.5", DAY.replace(hour=12), False),
        ("46086.75", DAY.replace(hour=18), False),
        # a time of day written as midnight is still a time of day
        ("2026-03-05 00:00", DAY, False),
        # the form the reader gives a date cell: at midnight it cannot tell "no time" (docs/decisions.md 10)
        ("2026-03-05 00:00:00", DAY, True),
        ("2026年3月5日 0:00", DAY, False),
    ],
)
def test_date_text_forms(upload, store, raw, stored, date_only):
    result = upload("leads", [_lead(reported_at=raw)])
    assert result.rejected == []
    assert _stored(store, "leads", "reported_at", "reported_at_date_only") == [(stored, date_only)]


@pytest.mark.parametrize(
    ("cell", "stored", "date_only"),
    [
        (dt.datetime(2026, 3, 5, 9, 5, 7), DAY.replace(hour=9, minute=5, second=7), False),
        (dt.datetime(2026, 3, 5), DAY, True),
        (dt.datetime(2026, 3, 5, 9, 5, 7, 400000), DAY.replace(hour=9, minute=5, second=7), False),
        (dt.datetime(2026, 3, 5, 9, 5, 7, 600000), DAY.replace(hour=9, minute=5, second=8), False),
        (46086, DAY, True),  # a number cell holding an Excel serial
        (46086.5, DAY.replace(hour=12), False),
        (46086 + (9 * 3600 + 5 * 60 + 7.6) / 86400, DAY.replace(hour=9, minute=5, second=8), False),
        ("2026年3月5日 9:05", DAY.replace(hour=9, minute=5), False),
    ],
)
def test_date_cells_and_serial_numbers_in_a_workbook(store, tmp_path, cell, stored, date_only):
    path = write_xlsx(
        tmp_path / "leads.xlsx", "报备", ["报备时间", "大客户经理", "手机号"], [[cell, "王伟", PHONE]]
    )
    result = store.ingest(path)
    assert result.rejected == []
    assert _stored(store, "leads", "reported_at", "reported_at_date_only") == [(stored, date_only)]


@pytest.mark.parametrize(
    "raw",
    [
        "2026-02-30",
        "2026-13-01",
        "2026-00-10",
        "2026-03-32",
        "25:00",
        "2026-03-05 25:00",
        "2026-03-05 10:60",
        "2026-03-05 10:30:60",
        "2026年13月1日",
        "2026-03",
        "03/05/2026",
        "yesterday",
        "0",
    ],
)
def test_invalid_required_date_rejects_the_row(upload, store, raw):
    result = upload("leads", [_lead(reported_at=raw)])
    assert _problems(result) == [[{"code": "bad_date", "column": "报备时间", "value": raw}]]
    assert _stored(store, "leads", "reported_at") == []


# -- status -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("退房", "cancelled"),
        ("已退房", "cancelled"),
        ("取消", "cancelled"),
        ("cancelled", "cancelled"),
        ("CANCELLED", "cancelled"),
        ("Cancelled", "cancelled"),
        (" 退房 ", "cancelled"),
        ("ｃａｎｃｅｌｌｅｄ", "cancelled"),
        ("", "signed"),
        ("签约", "signed"),
        ("已签约", "signed"),
        ("未退房", "signed"),
        ("退房中", "signed"),
        ("cancel", "signed"),
        ("signed", "signed"),
    ],
)
def test_status_words_mean_cancelled_anything_else_signed(upload, store, raw, status):
    upload("deals", [_deal(status=raw, cancelled_at="2026-03-20")])
    assert _stored(store, "deals", "status") == [(status,)]


def test_cancelled_deal_without_cancelled_at_warns_and_uses_signed_at(upload, compute):
    upload("leads", [_lead(reported_at="2026-02-01")])
    result = upload("deals", [_deal(signed_at="2026-03-05", status="退房")])
    assert result.rejected == []
    assert [(w["row"], w["code"], w["column"]) for w in result.warnings] == [
        (2, "cancelled_without_date", "退房日期")
    ]
    results = compute()
    lines = results.commissions[["kam", "type", "line", "kam_commission", "month"]].to_dict("records")
    assert lines == [
        {
            "kam": "王伟",
            "type": "lead_deal",
            "line": "commission",
            "kam_commission": Decimal("200.00"),
            "month": "2026-03",
        },
        {
            "kam": "王伟",
            "type": "lead_deal",
            "line": "clawback",
            "kam_commission": Decimal("-200.00"),
            "month": "2026-03",
        },
    ]
    assert results.warnings[["file", "sheet", "row", "column", "code"]].to_dict("records") == [
        {
            "file": "成交.csv",
            "sheet": "成交",
            "row": 2,
            "column": "退房日期",
            "code": "cancelled_without_date",
        }
    ]


# -- optional values that cannot be read ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "row", "table", "column", "header", "code", "value"),
    [
        (
            "visits",
            {"visited_at": "2026-03-05 10:00", "kam": "王伟", "phone": PHONE, "party_size": "三"},
            "visits",
            "party_size",
            "人数",
            "bad_integer",
            "三",
        ),
        (
            "visits",
            {"visited_at": "2026-03-05 10:00", "kam": "王伟", "phone": PHONE, "party_size": "2.5"},
            "visits",
            "party_size",
            "人数",
            "bad_integer",
            "2.5",
        ),
        (
            "roster",
            {"kam": "王伟", "end_date": "2026-02-30"},
            "roster",
            "end_date",
            "离职日期",
            "bad_date",
            "2026-02-30",
        ),
        (
            "roster",
            {"kam": "王伟", "start_date": "下周一"},
            "roster",
            "start_date",
            "入职日期",
            "bad_date",
            "下周一",
        ),
        ("deals", _deal(amount="一百万"), "deals", "amount", "成交金额", "bad_number", "一百万"),
        (
            "deals",
            _deal(status="退房", cancelled_at="2026-13-01"),
            "deals",
            "cancelled_at",
            "退房日期",
            "bad_date",
            "2026-13-01",
        ),
    ],
)
def test_unreadable_optional_value_is_stored_missing_with_a_warning(
    upload, store, compute, kind, row, table, column, header, code, value
):
    result = upload(kind, [row])
    counts = result.sheets[0]
    assert (counts.read, counts.accepted, counts.rejected) == (1, 1, 0)
    assert _stored(store, table, column) == [(None,)]
    sheet = result.sheets[0].sheet
    expected = {
        "file": f"{sheet}.csv",
        "sheet": sheet,
        "row": 2,
        "column": header,
        "code": code,
        "value": value,
    }
    assert expected | {"kind": kind, "upload_id": 1} in compute().warnings.to_dict("records")


def test_party_size_whole_number_is_read(upload, store):
    upload("visits", [{"visited_at": "2026-03-05 10:00", "kam": "王伟", "phone": PHONE, "party_size": "３"}])
    assert _stored(store, "visits", "party_size") == [(3,)]


# -- required values --------------------------------------------------------------------------------

_VALID = {
    "roster": {"kam": "王伟", "team": "A组"},
    "registrations": {"registered_at": "2026-03-05 10:00", "customer_name": "张三", "phone": PHONE},
    "units": {"date": "2026-03-05", "kam": "王伟", "unit_name": "ABC公司", "photo": "p.jpg"},
    "leads": _lead(customer_name="张三"),
    "visits": {"visited_at": "2026-03-05 10:00", "kam": "王伟", "customer_name": "张三", "phone": PHONE},
    "deals": _deal(),
}
_REQUIRED = [
    ("roster", "kam", "大客户经理"),
    ("registrations", "registered_at", "登记时间"),
    ("registrations", "phone", "手机号"),
    ("units", "date", "拓展日期"),
    ("units", "kam", "大客户经理"),
    ("units", "unit_name", "单位名称"),
    ("leads", "reported_at", "报备时间"),
    ("leads", "kam", "大客户经理"),
    ("leads", "phone", "手机号"),
    ("visits", "visited_at", "到访时间"),
    ("visits", "kam", "大客户经理"),
    ("visits", "phone", "手机号"),
    ("deals", "signed_at", "成交日期"),
    ("deals", "phone", "手机号"),
    ("deals", "property", "房号"),
    ("deals", "salesperson", "置业顾问"),
    ("deals", "salesperson_commission", "置业顾问佣金"),
]


@pytest.mark.parametrize(("kind", "field", "header"), _REQUIRED)
def test_row_missing_a_required_value_is_rejected(upload, kind, field, header):
    row = _VALID[kind] | {field: "  "}
    result = upload(kind, [_VALID[kind], row])
    assert result.rejected == [
        {
            "sheet": result.sheets[0].sheet,
            "row": 3,
            "problems": [{"code": "missing", "column": header, "value": None}],
            "raw": json.dumps(
                {h: (None if v == "" else v) for h, v in _raw_cells(kind, [_VALID[kind], row])[1].items()},
                ensure_ascii=False,
            ),
        }
    ]


def _raw_cells(kind: str, rows: list[dict]) -> list[dict]:
    """Header → cell text of each row, as conftest.write_csv lays the columns out."""
    from kam_metrics.contract.sheets import KINDS

    fields = [f for f in KINDS[kind].fields if any(f.name in r for r in rows)]
    return [{f.canonical: r.get(f.name, "") for f in fields} for r in rows]
