"""Issue 9's "Done when", from the command line alone: close two months, upload later weeks, adjudicate a lead, a
visit, a unit and a deal of the closed months, and the report keeps the closed months frozen while the open
month carries the adjustments, each with its reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import ROOT
from tests.kam_metrics.test_cli import run

WEEKS = sorted((ROOT / "data" / "sample").glob("*.xlsx"))

# Real rows of the bundled sample, each refused (or unattributed) by the engine, all in the closed months.
ADJUDICATIONS = [
    ("lead", "--kam", "王伟", "--phone", "15640309987", "--at", "2026-09-10 10:23:00", "--status", "valid",
     "--reason", "重复报备为系统误判"),
    ("visit", "--kam", "周杰", "--phone", "13674859010", "--at", "2026-10-03 16:50:00", "--status", "valid",
     "--reason", "首次到访有登记表"),
    ("unit", "--kam", "吴芳", "--date", "2026-09-30", "--unit", "宝安海纳建设集团", "--status", "valid",
     "--reason", "照片已补交"),
    ("deal", "--phone", "15214338721", "--property", "11栋3203", "--signed", "2026-09-14", "--kam", "王伟",
     "--type", "lead_deal", "--reason", "报备记录在纸质台账"),
]  # fmt: skip


def sheet(path: Path, name: str) -> list[dict]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def ok(*args) -> str:
    done = run(*args)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.fixture(scope="module")
def sequence(tmp_path_factory) -> dict:
    """The director's sequence run once; the workbooks written right after the closes and at the end."""
    tmp = tmp_path_factory.mktemp("director")
    db = tmp / "store" / "kam.duckdb"
    assert len(WEEKS) == 12
    ok("ingest", "--db", db, *WEEKS[:6])
    ok("close", "--db", db, "--month", "2026-09")
    ok("close", "--db", db, "--month", "2026-10", "--as-of", "2026-10-31")
    ok("report", "--db", db, "--out", tmp / "closed.xlsx")
    ok("ingest", "--db", db, *WEEKS[6:])
    for args in ADJUDICATIONS:
        ok("adjudicate", *args[:1], "--db", db, *args[1:])
    ok("report", "--db", db, "--out", tmp / "final.xlsx")
    return {"closed": tmp / "closed.xlsx", "final": tmp / "final.xlsx"}


def test_closed_months_show_the_figures_frozen_at_close_time(sequence):
    at_close = [r for r in sheet(sequence["closed"], "statement") if r["month"] in ("2026-09", "2026-10")]
    final = [r for r in sheet(sequence["final"], "statement") if r["month"] in ("2026-09", "2026-10")]
    assert at_close and all(r["closed"] for r in at_close)
    assert final == at_close


def test_the_open_month_carries_the_adjustments_of_the_closed_months_with_their_reasons(sequence):
    adjustments = sheet(sequence["final"], "adjustments")
    landed = [r for r in adjustments if r["month"] == "2026-11"]
    assert {r["source_month"] for r in landed} == {"2026-09", "2026-10"}
    assert all(r["reason"] for r in landed)
    # the unattributed deal made 王伟's lead_deal: +200 commission in 2026-09, paid in 2026-11
    deal = [
        r for r in landed if r["kind"] == "commission" and r["ref"] == "11栋3203 · 15214338721 · 2026-09-14"
    ]
    assert [(r["kam"], Decimal(str(r["amount"]))) for r in deal] == [("王伟", Decimal("200"))]
    statement = {(r["kam"], r["month"]): r for r in sheet(sequence["final"], "statement")}
    for kam in {r["kam"] for r in landed}:
        mine = sum(Decimal(str(r["amount"])) for r in landed if r["kam"] == kam)
        assert Decimal(str(statement[(kam, "2026-11")]["adjustments"])) == mine, kam
        assert not statement[(kam, "2026-11")]["closed"]


def test_the_adjudications_sheet_lists_the_four_decisions(sequence):
    listed = sheet(sequence["final"], "adjudications")
    assert [(r["kind"], r["kam"], r["verdict"], r["reason"]) for r in listed] == [
        ("lead", "王伟", "valid", "重复报备为系统误判"),
        ("visit", "周杰", "valid", "首次到访有登记表"),
        ("unit", "吴芳", "valid", "照片已补交"),
        ("deal", "王伟", "lead_deal", "报备记录在纸质台账"),
    ]
