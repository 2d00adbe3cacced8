"""normalize.stage's two paths: Arrow kernels for a sheet in plain forms and the staging query for any other
sheet give the same staged table (values, types, problems, warnings), and each is taken where it should be."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from kam_metrics.contract.sheets import KINDS
from kam_metrics.ingest import normalize
from kam_metrics.ingest.reader import RawSheet


def _sheet(kind: str, rows: list[dict], row_numbers: list[int] | None = None) -> RawSheet:
    fields = [f.name for f in KINDS[kind].fields]
    present = [f for f in fields if any(f in r for r in rows)]
    columns = {f: pa.array([r.get(f) for r in rows], pa.string()) for f in present}
    numbers = row_numbers or list(range(2, 2 + len(rows)))
    return RawSheet(
        name="S",
        kind=kind,
        header_row=1,
        headers={f: f"H_{f}" for f in present},
        columns=columns,
        row_numbers=pa.array(numbers, pa.int64()),
        rows_read=len(rows),
        all_columns=[(f"H_{f}", columns[f]) for f in present],
    )


class _Counting:
    """A connection that counts the statements stage runs (after the kind's schema is known)."""

    def __init__(self, con):
        self.con, self.statements = con, 0

    def sql(self, text):
        self.statements += 1
        return self.con.sql(text)

    def register(self, *a):
        return self.con.register(*a)

    def unregister(self, *a):
        return self.con.unregister(*a)


PLAIN = {
    "leads": [
        {
            "reported_at": "2026-03-05 10:00:00",
            "kam": "王伟",
            "customer_name": "张三",
            "phone": "13812345678",
        },
        {"reported_at": "2026-03-05 00:00:00", "kam": None, "phone": "13912345678"},
        {"reported_at": None, "kam": "李娜", "phone": None},
        {"reported_at": "1969-12-31 23:59:59", "kam": "李娜", "phone": "13712345678"},
    ],
    "deals": [
        {
            "signed_at": "2026-03-05 00:00:00",
            "phone": "13812345678",
            "property": "1-101",
            "amount": "1250000.5",
            "salesperson": "李娜",
            "salesperson_commission": "-4000",
            "status": "已退房",
            "cancelled_at": None,
        },
        {
            "signed_at": "2026-03-06 12:30:00",
            "phone": "13812345679",
            "property": None,
            "amount": None,
            "salesperson": "李娜",
            "salesperson_commission": "4000.25",
            "status": "CANCELLED",
            "cancelled_at": "2026-03-07 00:00:00",
        },
        {
            "signed_at": None,
            "phone": "13812345670",
            "property": "2-202",
            "amount": "007",
            "salesperson": None,
            "salesperson_commission": "0",
            "status": "签约",
        },
    ],
    "visits": [
        {"visited_at": "2026-03-05 10:00:00", "kam": "王伟", "phone": "13812345678", "party_size": "3"},
        {"visited_at": "2026-03-05 11:00:00", "kam": "王伟", "phone": "13812345678", "party_size": None},
        # date cells with milliseconds: rounded to the second, half away from zero, and never date-only
        {"visited_at": "2026-03-05 01:11:45.057", "kam": "王伟", "phone": "13812345678"},
        {"visited_at": "2026-03-05 01:11:45.5", "kam": "王伟", "phone": "13812345678"},
        {"visited_at": "2026-03-05 01:11:59.999", "kam": "王伟", "phone": "13812345678"},
        {"visited_at": "2026-03-05 23:59:59.50", "kam": "王伟", "phone": "13812345678"},
        {"visited_at": "2026-03-05 00:00:00.000", "kam": "王伟", "phone": "13812345678"},
    ],
    "roster": [{"kam": "王伟", "team": "A", "start_date": "2026-01-01 00:00:00"}, {"kam": None, "team": "B"}],
    "units": [
        {"date": "2026-03-05 00:00:00", "kam": "王伟", "unit_name": "ＡＢＣ 公司"},
        {"unit_name": None},
    ],
    "registrations": [{"registered_at": "2026-03-05 09:00:00", "phone": "13812345678", "source": "自然"}],
}


@pytest.mark.parametrize("kind", sorted(PLAIN))
def test_plain_sheet_is_staged_without_a_statement_and_equals_the_query(kind):
    con = duckdb.connect()
    sheet = _sheet(kind, PLAIN[kind])
    expected = normalize.stage(con, sheet, arrow=False)
    normalize.stage(con, sheet)  # learns the kind's schema
    counting = _Counting(con)
    got = normalize.stage(counting, sheet)
    assert counting.statements == 0
    assert got.schema == expected.schema
    assert got.to_pylist() == expected.to_pylist()


def test_plain_deals_have_the_values_and_problems_of_spec_2():
    got = normalize.stage(duckdb.connect(), _sheet("deals", PLAIN["deals"])).to_pylist()
    assert got[0]["amount"] == Decimal("1250000.50")
    assert got[0]["signed_at_date_only"] is True and got[0]["status"] == "cancelled"
    assert got[0]["problems"] == [
        {"code": "negative_commission", "column": "H_salesperson_commission", "value": "-4000"}
    ]
    assert got[0]["warnings"] == [
        {"code": "cancelled_without_date", "column": "H_cancelled_at", "value": None}
    ]
    assert got[1]["signed_at"] == dt.datetime(2026, 3, 6, 12, 30) and got[1]["signed_at_date_only"] is False
    assert got[1]["problems"] == [{"code": "missing", "column": "H_property", "value": None}]
    assert got[1]["status"] == "cancelled" and got[1]["warnings"] == []
    assert [p["code"] for p in got[2]["problems"]] == ["missing", "missing"]
    assert got[2]["amount"] == Decimal("7.00") and got[2]["signed_date"] is None


ODD = {
    "dates": ("leads", {"reported_at": "2026/3/5", "kam": "王伟", "phone": "13812345678"}),
    "bad date": ("leads", {"reported_at": "2026-02-30 10:00:00", "kam": "王伟", "phone": "13812345678"}),
    "serial": ("leads", {"reported_at": "46086.5", "kam": "王伟", "phone": "13812345678"}),
    "phone": ("leads", {"reported_at": "2026-03-05 10:00:00", "kam": "王伟", "phone": "+86 138-1234-5678"}),
    "money": ("deals", {**PLAIN["deals"][1], "amount": "¥1,250,000元"}),
    "3 decimals": ("deals", {**PLAIN["deals"][1], "amount": "1.005"}),
    "integer": ("visits", {**PLAIN["visits"][0], "party_size": "2.0"}),
    "bad integer": ("visits", {**PLAIN["visits"][0], "party_size": "两"}),
    "microseconds": ("visits", {**PLAIN["visits"][0], "visited_at": "2026-03-05 01:11:45.0571"}),
}


@pytest.mark.parametrize("case", sorted(ODD))
def test_a_sheet_with_any_other_form_runs_the_query(case):
    kind, odd = ODD[case]
    _assert_staged_by_the_query(_sheet(kind, [*PLAIN[kind], odd]))


def test_milliseconds_round_to_the_second_as_the_query_does():
    got = normalize.stage(duckdb.connect(), _sheet("visits", PLAIN["visits"])).to_pylist()
    assert [(r["visited_at"], r["visited_at_date_only"]) for r in got[2:]] == [
        (dt.datetime(2026, 3, 5, 1, 11, 45), False),
        (dt.datetime(2026, 3, 5, 1, 11, 46), False),
        (dt.datetime(2026, 3, 5, 1, 12, 0), False),
        (dt.datetime(2026, 3, 6, 0, 0, 0), False),
        (dt.datetime(2026, 3, 5, 0, 0, 0), False),
    ]


def test_a_big_sheet_runs_the_query(monkeypatch):
    monkeypatch.setattr(normalize, "ARROW_MAX_ROWS", 2)
    _assert_staged_by_the_query(_sheet("leads", PLAIN["leads"]))


def _assert_staged_by_the_query(sheet) -> None:
    """stage() runs exactly one statement (the SQL, not the Arrow path) and gives the query's rows."""
    con = duckdb.connect()
    expected = normalize.stage(con, sheet, arrow=False)
    counting = _Counting(con)
    got = normalize.stage(counting, sheet)
    assert counting.statements == 1
    assert got.to_pylist() == expected.to_pylist()


def test_rows_out_of_order_run_the_query_which_orders_them():
    sheet = _sheet("leads", PLAIN["leads"][:2], row_numbers=[9, 3])
    got = normalize.stage(duckdb.connect(), sheet)
    assert got["row_no"].to_pylist() == [3, 9]


@pytest.mark.parametrize("kind", sorted(PLAIN))
def test_an_empty_sheet_stages_to_no_rows_without_a_statement(kind):
    con = duckdb.connect()
    sheet = _sheet(kind, [])
    sheet.columns = {f: pa.array([], pa.string()) for f in KINDS[kind].required}
    expected = normalize.stage(con, sheet, arrow=False)
    normalize.stage(con, sheet)  # learns the kind's schema
    counting = _Counting(con)
    got = normalize.stage(counting, sheet)
    assert counting.statements == 0
    assert got.num_rows == 0 and got.schema == expected.schema
