"""engine.what_if: the results as they would be with one more adjudication, with nothing stored."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from kam_metrics.engine import what_if
from kam_metrics.ingest import decisions

P = "13800000001"
DEAL = {"salesperson": "李销售", "salesperson_commission": "4000"}


def key(store, kind: str, **given) -> dict:
    return dict(zip(decisions.ROW_COLUMNS, decisions.row_key(store, kind, **given).values(), strict=True))


def lines(results) -> list[tuple]:
    frame = results.commissions
    kams = [k if isinstance(k, str) else None for k in frame["kam"]]
    return list(zip(frame["property"], kams, frame["type"], frame["kam_commission"], strict=True))


def setup(upload):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "张三", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "李四", "phone": P}])  # fmt: skip
    upload("deals", [{"signed_at": "2026-11-05", "phone": P, "property": "1-102", **DEAL}])


def test_the_what_if_of_a_lead_equals_the_results_once_it_is_stored_and_stores_nothing(
    store, upload, compute
):
    setup(upload)
    row = key(store, "lead", kam="李四", phone=P, at="2026-11-03 10:00:00")
    hypothetical = what_if.with_adjudication(store, "lead", row, "valid")
    assert decisions.stored_adjudications(store).empty
    assert lines(compute()) == [("1-102", "张三", "lead_deal", Decimal("200.00"))]  # the engine's own verdict
    assert lines(hypothetical) == [("1-102", "李四", "lead_deal", Decimal("200.00"))]
    decisions.adjudicate(store, "lead", verdict="valid", reason="纸质报备单", by="t", kam="李四", phone=P,
                         at="2026-11-03 10:00:00")  # fmt: skip
    stored = compute()
    assert lines(stored) == lines(hypothetical)
    pd.testing.assert_frame_equal(stored.summary, hypothetical.summary)


def test_the_what_if_replaces_the_live_adjudication_of_the_same_row(store, upload, compute):
    setup(upload)
    decisions.adjudicate(store, "deal", verdict="unattributed", reason="退单", by="t", phone=P, property="1-102",
                         signed="2026-11-05")  # fmt: skip
    assert lines(compute()) == [("1-102", None, "unattributed", Decimal("0.00"))]
    row = key(store, "deal", phone=P, property="1-102", signed="2026-11-05")
    back = what_if.with_adjudication(store, "deal", row, "visit_deal", "张三")
    assert lines(back) == [("1-102", "张三", "visit_deal", Decimal("2000.00"))]  # 4,000 × visit_share 0.5
    assert len(decisions.stored_adjudications(store)) == 1  # the stored one untouched
