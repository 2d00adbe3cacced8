"""Period close and adjustments (SPEC §9): closed months keep their frozen figures, changes land in the open month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam_metrics.contract.rules import rules_from_dict
from kam_metrics.engine import report
from kam_metrics.engine.close_reasons import describe
from kam_metrics.ingest.closes import close_month, reopen_month
from tests.helpers import deal_row

# One valid lead a week meets it; a missed week costs 50. Units and batches are not assessed.
RULES = rules_from_dict(
    {"targets": {"units": 0, "batches": 0, "numbers": 1}, "fines": {"numbers": Decimal(50)}}
)
D = Decimal
SEP_END, OCT_END, NOV_END = dt.date(2026, 9, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 30)
TODAY = dt.date.today().isoformat()
DEAL = "A-101 · 13800000001 · 2026-09-12"


def lead(kam: str, at: str, phone: str) -> dict:
    return {"reported_at": at, "kam": kam, "phone": phone}


def rows(frame, columns=None) -> list[dict]:
    columns = columns or [c for c in frame.columns if c not in ("reason", "team")]
    return [
        {c: (v.item() if hasattr(v, "item") else v) for c, v in r.items()}
        for r in frame[columns].to_dict("records")
    ]


def statement_row(kam, month, commission=0, clawback=0, fines=0, adjustments=0, closed=False) -> dict:
    c, cb, f, a = (D(x).quantize(D("0.01")) for x in (commission, clawback, fines, adjustments))
    return {
        "kam": kam, "month": month, "commission": c, "clawback": cb, "fines": f, "adjustments": a,
        "net": c - cb - f + a, "closed": closed,
    }  # fmt: skip


def compute(store, as_of):
    return report.compute(store, RULES, as_of)


@pytest.fixture
def september(upload):
    """张三 and 李四 from 2026-09-07 (W37): 张三's visit deal A-101 on 09-12 (commission 2,000), a valid lead in
    W37 and W39 (W38 missed: fine 50); 李四 a lead every week. W40 (09-28…10-04) ends in October."""
    upload(
        "roster",
        [
            {"kam": "张三", "team": "一组", "start_date": "2026-09-07"},
            {"kam": "李四", "team": "二组", "start_date": "2026-09-07"},
        ],
    )
    upload(
        "leads",
        [
            lead("张三", "2026-09-08 10:00", "13800000001"),
            lead("张三", "2026-09-09 10:00", "13800000002"),
            lead("张三", "2026-09-22 10:00", "13800000003"),
            *[
                lead("李四", f"2026-09-{d} 11:00", f"1390000000{i}")
                for i, d in enumerate(("08", "15", "22", "29"))
            ],
        ],
    )
    upload(
        "visits",
        [{"visited_at": "2026-09-10 15:00", "kam": "张三", "phone": "13800000001", "salesperson": "李销售"}],
    )
    upload("deals", [deal_row("13800000001", "2026-09-12", "A-101")])


def test_a_closed_months_statement_rows_stay_as_frozen_after_a_later_upload(store, upload, september):
    before = compute(store, SEP_END).statement
    close_month(store, "2026-09", "test", RULES, SEP_END)
    upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": "13800000001"}])
    upload("leads", [lead("张三", "2026-09-15 10:00", "13800000004")])  # W38 now met: its fine would be 0
    after = compute(store, OCT_END).statement
    september_rows = rows(after[after["month"] == "2026-09"])
    assert september_rows == [{**r, "closed": True} for r in rows(before[before["month"] == "2026-09"])]
    assert september_rows == [
        statement_row("张三", "2026-09", commission=2000, fines=50, closed=True),
        statement_row("李四", "2026-09", closed=True),
    ]


def test_a_late_registry_row_removing_credit_in_a_closed_month_is_an_adjustment_with_its_reason(
    store, upload, september
):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": "13800000001"}])
    results = compute(store, OCT_END)
    assert rows(results.adjustments) == [
        {
            "kam": "张三", "month": "2026-10", "source_month": "2026-09", "kind": "commission", "ref": DEAL,
            "amount": D("-2000.00"), "change": D("-2000.00"), "closed": False,
        }
    ]  # fmt: skip
    assert describe(results.adjustments["reason"][0], "en") == (
        f"commission of {DEAL} in 2026-09: paid 2,000.00, now 0.00 — registry row of 2026-09-07 uploaded on "
        f"{TODAY}: no KAM credit (every lead was already registered)"
    )
    assert describe(results.adjustments["reason"][0], "zh") == (
        f"{DEAL} 在 2026-09 的佣金：已付 2,000.00，现为 0.00——{TODAY} 上传的 2026-09-07 案场登记记录："
        "不再计入大客户经理（报备均已在案场登记）"
    )
    october = results.statement[results.statement["month"] == "2026-10"]
    assert rows(october) == [  # October's own weeks are fined as usual: W40–W43 (李四 met W40)
        statement_row("张三", "2026-10", fines=200, adjustments=-2000),
        statement_row("李四", "2026-10", fines=150),
    ]


def test_a_late_lead_meeting_a_fined_week_of_a_closed_month_gives_back_the_fine(store, upload, september):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    upload("leads", [lead("张三", "2026-09-15 10:00", "13800000004")])
    results = compute(store, OCT_END)
    assert rows(results.adjustments) == [
        {
            "kam": "张三", "month": "2026-10", "source_month": "2026-09", "kind": "fine", "ref": "2026-W38",
            "amount": D("50.00"), "change": D("-50.00"), "closed": False,
        }
    ]  # fmt: skip
    assert describe(results.adjustments["reason"][0], "en") == (
        f"fine of week 2026-W38 in 2026-09: paid 50.00, now 0.00 — lead row of 2026-09-15 uploaded on {TODAY}: "
        "the week now counts 0 units, 0 batches, 1 numbers"
    )
    zhang = results.summary.set_index("kam").loc["张三"]
    assert (zhang["fines_total"], zhang["adjustments_total"], zhang["net_total"]) == (
        D(250),
        D(50),
        D(1800),
    )  # October fined 200


def test_a_deal_moving_to_another_kam_after_its_month_closed_gives_one_a_negative_and_the_other_a_positive_adjustment(
    store, upload, september
):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    # 李四 reported the buyer first (uploaded late) and brought them on 09-09: the deal is now his visit deal.
    upload("leads", [lead("李四", "2026-09-08 09:00", "13800000001")])
    upload(
        "visits",
        [{"visited_at": "2026-09-09 15:00", "kam": "李四", "phone": "13800000001", "salesperson": "李销售"}],
    )
    results = compute(store, OCT_END)
    got = rows(results.adjustments, ["kam", "source_month", "kind", "ref", "amount"])
    assert got == [
        {
            "kam": "张三",
            "source_month": "2026-09",
            "kind": "commission",
            "ref": DEAL,
            "amount": D("-2000.00"),
        },
        {"kam": "李四", "source_month": "2026-09", "kind": "commission", "ref": DEAL, "amount": D("2000.00")},
    ]
    reasons = [describe(r, "en").split(" — ")[1] for r in results.adjustments["reason"]]
    assert reasons == [
        f"lead row of 2026-09-08 uploaded on {TODAY}: the deal is now credited to 李四",
        f"lead row of 2026-09-08 uploaded on {TODAY}: the deal is now credited to this KAM (visit deal)",
    ]


def test_two_successive_closes_with_a_change_after_each_pay_each_change_once(store, upload, september):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    registry = upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": "13800000001"}])
    done = close_month(store, "2026-10", "test", RULES, OCT_END)
    assert (done["items"], done["adjustments"]) == (
        9,
        1,
    )  # the fines of W40–W43 for both KAMs, the adjustment
    store.undo(registry.upload_id)  # the registry row was a mistake: the credit comes back
    results = compute(store, NOV_END)
    assert rows(results.adjustments, ["kam", "month", "source_month", "kind", "amount", "change", "closed"]) == [
        {"kam": "张三", "month": "2026-10", "source_month": "2026-09", "kind": "commission",
         "amount": D("-2000.00"), "change": D("-2000.00"), "closed": True},
        {"kam": "张三", "month": "2026-11", "source_month": "2026-09", "kind": "commission",
         "amount": D("2000.00"), "change": D("2000.00"), "closed": False},
    ]  # fmt: skip
    zhang = results.statement[results.statement["kam"] == "张三"]
    assert rows(zhang) == [
        statement_row("张三", "2026-09", commission=2000, fines=50, closed=True),
        statement_row("张三", "2026-10", fines=200, adjustments=-2000, closed=True),
        statement_row("张三", "2026-11", fines=250, adjustments=2000),  # W44–W48
    ]
    assert describe(results.adjustments["reason"][1], "en") == (
        f"commission of {DEAL} in 2026-09: paid 0.00, now 2,000.00 — the deal is now credited to this KAM (visit deal)"
    )
    zhang_total = results.summary.set_index("kam").loc["张三"]
    assert zhang_total["net_total"] == sum(zhang["net"], D(0)) == D(2000 - 50 - 200 - 250)
    # paid now equals now: a third close freezes no further change of the deal
    close_month(store, "2026-11", "test", RULES, NOV_END)
    assert rows(compute(store, NOV_END).adjustments[lambda f: ~f["closed"]]) == []


def test_a_month_without_rows_is_closed_implicitly_and_a_row_appearing_for_it_later_is_an_adjustment(
    store, upload
):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07", "end_date": "2026-09-27"}])
    upload("leads", [lead("张三", f"2026-09-{d} 10:00", f"1380000000{d[1]}") for d in ("08", "15", "22")])
    upload(
        "deals", [deal_row("13800000008", "2026-11-10", "B-1")]
    )  # after the end date: still 张三's (lead deal)
    close_month(store, "2026-09", "test", RULES, NOV_END)
    done = close_month(store, "2026-11", "test", RULES, NOV_END)
    assert done["implicit"] == ["2026-10"]
    upload("deals", [deal_row("13800000005", "2026-10-15", "C-1")])
    results = compute(store, NOV_END)
    assert rows(results.adjustments, ["kam", "month", "source_month", "kind", "ref", "amount"]) == [
        {"kam": "张三", "month": "2026-12", "source_month": "2026-10", "kind": "commission",
         "ref": "C-1 · 13800000005 · 2026-10-15", "amount": D("200.00")},
    ]  # fmt: skip
    assert describe(results.adjustments["reason"][0], "en") == (
        "commission of C-1 · 13800000005 · 2026-10-15 in 2026-10: paid 0.00, now 200.00 — deal row of 2026-10-15 "
        f"uploaded on {TODAY}: a deal of this month stored after the month was closed (lead deal)"
    )
    assert rows(results.statement) == [
        statement_row("张三", "2026-09", closed=True),
        statement_row("张三", "2026-11", commission=200, closed=True),
        statement_row("张三", "2026-12", adjustments=200),
    ]


def test_a_reopened_month_shows_computed_figures_again_and_its_adjustments_are_discarded(
    store, upload, september
):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": "13800000001"}])
    close_month(store, "2026-10", "test", RULES, OCT_END)
    assert reopen_month(store, "2026-10", "the registry row is disputed", "test") == "2026-09"
    results = compute(store, OCT_END)
    assert rows(results.adjustments, ["kam", "month", "closed", "amount"]) == [
        {"kam": "张三", "month": "2026-10", "closed": False, "amount": D("-2000.00")}
    ]
    assert reopen_month(store, "2026-09", "all of it again", "test") is None
    results = compute(store, OCT_END)
    assert results.adjustments.empty
    assert not results.statement["closed"].any()
    assert rows(results.statement[results.statement["kam"] == "张三"]) == [
        statement_row("张三", "2026-09", fines=50),
        statement_row("张三", "2026-10", fines=200),
    ]


def test_a_kam_with_adjustments_only_gets_an_open_month_row(store, upload, september):
    close_month(store, "2026-09", "test", RULES, SEP_END)
    upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": "13800000001"}])
    # as_of 09-30 again: October has no computed row for anyone, so 张三's row holds only the adjustment
    results = compute(store, SEP_END)
    assert rows(results.statement[results.statement["month"] == "2026-10"]) == [
        statement_row("张三", "2026-10", adjustments=-2000)
    ]
