"""Adjudications inside the attribution pass (SPEC §8), on both attribution paths: an adjudicated row takes its
verdict instead of its checks and the pass goes on as if the checks had produced it."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from kam_metrics.ingest import decisions
from tests.helpers import deal_row

P, Q = "13800000001", "13800000002"


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The frame's rows as tuples of ``columns`` (an adjudication id as int, none as None)."""
    out = []
    for r in frame[list(columns)].itertuples(index=False):
        out.append(tuple(None if (not isinstance(v, str) and pd.isna(v)) else v for v in r))
    return [tuple(int(v) if isinstance(v, float) else v for v in r) for r in out]


def adjudicate(store, kind, verdict, **key):
    made, _ = decisions.adjudicate(store, kind, verdict=verdict, reason="纸质报备单", by="test", **key)
    return made


def test_a_lead_adjudicated_valid_takes_the_claim_from_another_kam_and_the_deal_follows(
    store, upload, compute_both_paths
):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P},
                     {"reported_at": "2026-11-04 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-02 11:00", "kam": "王五", "phone": Q}])  # fmt: skip
    upload("deals", [deal_row(P, "2026-11-02", "1-101"),
                     deal_row(P, "2026-11-05", "1-102")])  # fmt: skip
    made = adjudicate(store, "lead", "valid", kam="李四", phone=P, at="2026-11-03 10:00:00")
    r = compute_both_paths()
    assert rows(r.leads, "kam", "phone", "status", "claim_kam", "adjudication") == [
        ("张三", P, "valid", "张三", None),
        ("王五", Q, "valid", "王五", None),
        ("李四", P, "valid", "李四", made),
        ("张三", P, "owned_by_other", "李四", None),
    ]
    assert rows(r.commissions, "property", "kam", "type", "kam_commission", "adjudication") == [
        ("1-101", "张三", "lead_deal", Decimal("200.00"), None),  # before the adjudicated lead: still 张三's
        ("1-102", "李四", "lead_deal", Decimal("200.00"), None),
    ]
    numbers = r.weekly.set_index("kam")["numbers"].to_dict()
    assert numbers == {"张三": 1, "李四": 1, "王五": 1}


def test_the_claim_an_adjudicated_lead_takes_lapses_by_the_usual_rule(store, upload, compute_both_paths):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P},
                     {"reported_at": "2026-11-09 10:00", "kam": "张三", "phone": P}])  # fmt: skip
    adjudicate(store, "lead", "valid", kam="李四", phone=P, at="2026-11-03 10:00:00")
    r = compute_both_paths(protection_days=3)
    assert rows(r.leads, "kam", "status", "claim_kam") == [
        ("张三", "valid", "张三"),
        ("李四", "valid", "李四"),
        ("张三", "valid", "张三"),  # 李四's claim lapsed on 11-06; 张三's ended when 李四 took it
    ]


def test_a_lead_adjudicated_to_a_refusal_takes_no_claim_and_leaves_the_holder(
    store, upload, compute_both_paths
):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P},
                     {"reported_at": "2026-11-02 10:00", "kam": "王五", "phone": Q},
                     {"reported_at": "2026-11-03 10:00", "kam": "赵六", "phone": Q}])  # fmt: skip
    upload("deals", [deal_row(P, "2026-11-05", "1-101"),
                     deal_row(Q, "2026-11-05", "2-202")])  # fmt: skip
    # P: the second lead refused differently; the holder stays 张三. Q: the claiming lead refused, so the
    # next lead finds the phone free.
    adjudicate(store, "lead", "registry_overlap", kam="李四", phone=P, at="2026-11-03 10:00:00")
    adjudicate(store, "lead", "owned_by_other", kam="王五", phone=Q, at="2026-11-02 10:00:00")
    r = compute_both_paths()
    assert rows(r.leads, "kam", "phone", "status", "claim_kam") == [
        ("张三", P, "valid", "张三"),
        ("王五", Q, "owned_by_other", None),
        ("李四", P, "registry_overlap", "张三"),
        ("赵六", Q, "valid", "赵六"),
    ]
    assert rows(r.commissions, "phone", "kam", "type") == [(P, "张三", "lead_deal"), (Q, "赵六", "lead_deal")]


def test_a_visit_adjudicated_valid_counts_in_the_weekly_quota_and_makes_a_visit_deal(
    store, upload, compute_both_paths
):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P}])
    upload("visits", [{"visited_at": "2026-11-03 15:00", "kam": "张三", "phone": P}])  # no salesperson
    upload("deals", [deal_row(P, "2026-11-06", "1-101")])
    before = compute_both_paths()
    assert rows(before.visits, "status") == [("no_handover",)]
    assert rows(before.commissions, "type", "kam_commission") == [("lead_deal", Decimal("200.00"))]
    made = adjudicate(store, "visit", "valid", kam="张三", phone=P, at="2026-11-03 15:00:00")
    r = compute_both_paths()
    assert rows(r.visits, "kam", "status", "adjudication") == [("张三", "valid", made)]
    week = r.weekly[r.weekly["kam"] == "张三"].iloc[0]
    assert (week["week"], week["batches"], week["batches_short"]) == ("2026-W45", 1, 15)
    assert rows(r.commissions, "kam", "type", "kam_commission", "salesperson_net") == [
        ("张三", "visit_deal", Decimal("2000.00"), Decimal("2000.00"))
    ]


def test_a_visit_adjudicated_valid_makes_its_kams_claim_permanent(store, upload, compute_both_paths):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-09 10:00", "kam": "李四", "phone": P}])  # fmt: skip
    upload("visits", [{"visited_at": "2026-11-03 15:00", "kam": "张三", "phone": P}])
    adjudicate(store, "visit", "valid", kam="张三", phone=P, at="2026-11-03 15:00:00")
    r = compute_both_paths(protection_days=3)
    assert rows(r.leads, "kam", "status") == [("张三", "valid"), ("李四", "owned_by_other")]


def test_a_visit_adjudicated_to_a_refusal_never_counts(store, upload, compute_both_paths):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P}])
    upload("visits", [{"visited_at": "2026-11-03 15:00", "kam": "张三", "phone": P, "salesperson": "李销售"},
                      {"visited_at": "2026-11-03 16:00", "kam": "张三", "phone": P, "salesperson": "李销售"}])  # fmt: skip
    upload("deals", [deal_row(P, "2026-11-06", "1-101")])
    adjudicate(store, "visit", "name_mismatch", kam="张三", phone=P, at="2026-11-03 15:00:00")
    r = compute_both_paths()
    # the refused visit blocks nothing: the second one is the valid (first valid) visit
    assert rows(r.visits, "status") == [("name_mismatch",), ("valid",)]
    assert rows(r.commissions, "type") == [("visit_deal",)]


def test_a_unit_adjudicated_valid_counts_and_makes_later_units_of_its_name_duplicate(
    store, upload, compute_both_paths
):
    upload("units", [{"date": "2026-11-02", "kam": "张三", "unit_name": "华为 科技"},  # no photo
                     {"date": "2026-11-03", "kam": "李四", "unit_name": "华为科技", "photo": "a.jpg"},
                     {"date": "2026-11-02", "kam": "王五", "unit_name": "腾讯", "photo": "b.jpg"},
                     {"date": "2026-11-04", "kam": "赵六", "unit_name": "腾讯", "photo": "c.jpg"}])  # fmt: skip
    valid = adjudicate(store, "unit", "valid", kam="张三", date="2026-11-02", unit="华为科技")
    refused = adjudicate(store, "unit", "no_photo", kam="王五", date="2026-11-02", unit="腾讯")
    r = compute_both_paths()
    assert rows(r.units, "kam", "unit_name", "status", "adjudication") == [
        ("张三", "华为 科技", "valid", valid),
        ("王五", "腾讯", "no_photo", refused),
        ("李四", "华为科技", "duplicate_unit", None),
        ("赵六", "腾讯", "valid", None),  # a unit adjudicated to a refusal blocks nothing
    ]
    units = r.weekly.set_index("kam")["units"].to_dict()
    assert units == {"张三": 1, "李四": 0, "王五": 0, "赵六": 1}


def test_a_deal_adjudicated_lead_deal_to_a_kam_with_no_claim_is_priced_and_clawed_back(
    store, upload, compute_both_paths
):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "李四", "phone": Q}])
    upload("deals", [deal_row(P, "2026-11-05", "1-101", status="退房", cancelled_at="2026-12-02"),
                     deal_row(Q, "2026-11-05", "2-202")])  # fmt: skip
    to_kam = adjudicate(
        store, "deal", "lead_deal", phone=P, property="1-101", signed="2026-11-05", verdict_kam="张三"
    )
    none = adjudicate(store, "deal", "unattributed", phone=Q, property="2-202", signed="2026-11-05")
    r = compute_both_paths()
    assert rows(r.commissions, "phone", "kam", "type", "reason", "kam_commission", "salesperson_net", "line",
                "month", "adjudication") == [
        (P, "张三", "lead_deal", "", Decimal("200.00"), Decimal("4000.00"), "commission", "2026-11", to_kam),
        (P, "张三", "lead_deal", "", Decimal("-200.00"), Decimal("-4000.00"), "clawback", "2026-12", to_kam),
        (Q, None, "unattributed", "adjudicated", Decimal("0.00"), Decimal("4000.00"), "commission", "2026-11", none),
    ]  # fmt: skip
    statement = rows(r.statement, "kam", "month", "commission", "clawback")
    assert ("张三", "2026-11", Decimal("200.00"), Decimal("0.00")) in statement
    assert ("张三", "2026-12", Decimal("0.00"), Decimal("200.00")) in statement


def test_a_deal_adjudicated_visit_deal_takes_the_visit_share(store, upload, compute_both_paths):
    upload("deals", [deal_row(P, "2026-11-05", "1-101")])
    adjudicate(
        store, "deal", "visit_deal", phone=P, property="1-101", signed="2026-11-05", verdict_kam="张三"
    )
    r = compute_both_paths(commission={"visit_share": 0.25})
    assert rows(r.commissions, "kam", "type", "kam_commission", "salesperson_net") == [
        ("张三", "visit_deal", Decimal("1000.00"), Decimal("3000.00"))
    ]


def test_an_adjudication_of_a_row_undone_is_orphaned_and_takes_effect_again_when_it_comes_back(
    store, upload, compute_both_paths
):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P}])
    later = upload("leads", [{"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P}])
    made = adjudicate(store, "lead", "valid", kam="李四", phone=P, at="2026-11-03 10:00:00")
    assert rows(compute_both_paths().adjudications, "id", "orphaned") == [(made, False)]
    store.undo(later.upload_id)
    r = compute_both_paths()
    assert rows(r.leads, "kam", "status", "adjudication") == [("张三", "valid", None)]
    assert rows(r.adjudications, "id", "kind", "ref", "verdict", "kam", "orphaned") == [
        (made, "lead", f"李四 {P} 2026-11-03 10:00:00", "valid", "李四", True)
    ]
    upload("leads", [{"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P}])
    r = compute_both_paths()
    assert rows(r.leads, "kam", "status", "claim_kam", "adjudication") == [
        ("张三", "valid", "张三", None),
        ("李四", "valid", "李四", made),
    ]
    assert rows(r.adjudications, "id", "orphaned") == [(made, False)]


def test_adjudicating_a_row_again_replaces_the_earlier_and_removing_restores_the_engine_verdict(
    store, upload, compute_both_paths
):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03", "kam": "李四", "phone": P}])  # fmt: skip
    first = adjudicate(store, "lead", "valid", kam="李四", phone=P, at="2026-11-03")
    second = adjudicate(store, "lead", "registry_overlap", kam="李四", phone=P, at="2026-11-03")
    r = compute_both_paths()
    assert rows(r.leads, "kam", "status", "adjudication") == [
        ("张三", "valid", None),
        ("李四", "registry_overlap", second),
    ]
    assert rows(r.adjudications, "id", "ref", "verdict") == [
        (second, f"李四 {P} 2026-11-03", "registry_overlap")
    ]
    stored = decisions.stored_adjudications(store)
    assert stored["replaced_by"].tolist() == [second, None]
    decisions.remove_adjudication(store, second, "test", "entered by mistake")
    r = compute_both_paths()
    assert rows(r.leads, "kam", "status", "adjudication") == [
        ("张三", "valid", None),
        ("李四", "owned_by_other", None),
    ]
    assert r.adjudications.empty
    assert first != second


def test_both_paths_give_the_same_claims_with_adjudications_among_unadjudicated_phones(store, upload):
    from kam_metrics.contract.rules import Rules
    from kam_metrics.engine import report

    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P},
                     {"reported_at": "2026-11-02 09:00", "kam": "王五", "phone": Q},
                     {"reported_at": "2026-11-02 09:30", "kam": "赵六", "phone": Q},
                     {"reported_at": "2026-11-02 09:00", "kam": "王五", "phone": "13800000003"}])  # fmt: skip
    upload("visits", [{"visited_at": "2026-11-04 10:00", "kam": "李四", "phone": P, "salesperson": "李销售"}])
    adjudicate(store, "lead", "valid", kam="李四", phone=P, at="2026-11-03 10:00:00")
    fast = report.compute(store, Rules(), path="fast")
    reference = report.compute(store, Rules(), path="reference")
    for name in ("leads", "visits", "claims", "commissions", "weekly"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(reference, name), check_dtype=False)
    assert rows(fast.claims, "claim_id", "phone", "kam") == [(0, P, "张三"), (1, P, "李四"), (2, Q, "王五"),
                                                             (3, "13800000003", "王五")]  # fmt: skip


def test_an_adjudication_survives_a_re_upload_and_a_rebuild(store, upload, compute_both_paths):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P}])  # fmt: skip
    made = adjudicate(store, "lead", "valid", kam="李四", phone=P, at="2026-11-03 10:00:00")
    upload("leads", [{"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P}])  # the same row again
    assert rows(compute_both_paths().leads, "kam", "status", "adjudication") == [
        ("张三", "valid", None),
        ("李四", "valid", made),
    ]
    store.rebuild()
    assert rows(compute_both_paths().leads, "kam", "status", "adjudication") == [
        ("张三", "valid", None),
        ("李四", "valid", made),
    ]


def test_a_dispute_changes_no_result_until_it_is_accepted(store, upload, compute_both_paths):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P}])  # fmt: skip
    dispute, _ = decisions.file(store, "lead", asked_verdict="valid", note="", by="kam:李四", kam="李四", phone=P,
                                at="2026-11-03 10:00:00")  # fmt: skip
    assert rows(compute_both_paths().leads, "status", "adjudication") == [
        ("valid", None),
        ("owned_by_other", None),
    ]
    made, _ = decisions.accept(store, dispute, "director", reason="截图")
    r = compute_both_paths()
    assert rows(r.leads, "status", "adjudication") == [("valid", None), ("valid", made)]
    assert rows(r.adjudications, "id", "dispute") == [(made, dispute)]
