"""SPEC §8/§6/§9: stored decisions (rule versions, adjudications, disputes, closes) survive re-uploads, undo and rebuild."""

from __future__ import annotations

import datetime as dt

from kam_metrics.ingest import closes, decisions, rules_table
from tests.kam_metrics.ingest.test_store import P2, VALID

TABLES = ["rule_versions", "adjudications", "disputes", "closes", "close_items"]
LEAD = {"kam": "王伟", "phone": P2, "at": "2026-03-03 10:00:00"}


def decided(store) -> dict[str, list[tuple]]:
    cur = store.cursor()
    return {t: sorted(cur.execute(f"select * from {t}").fetchall(), key=repr) for t in TABLES}


def with_every_decision(store, upload) -> dict[str, list[tuple]]:
    upload("leads", [VALID["leads"]])
    upload("deals", [VALID["deals"]])
    rules_table.add_change(store, dt.date(2026, 4, 6), {"targets": {"numbers": 60}}, "t")
    decisions.adjudicate(store, "lead", verdict="valid", reason="纸质单", by="t", **LEAD)
    closes.close_month(store, "2026-03", "t", as_of=dt.date(2026, 3, 31))
    decisions.file(store, "lead", asked_verdict="valid", note="见微信", by="t", **LEAD)
    state = decided(store)
    assert all(state[t] for t in TABLES)
    return state


def test_rebuild_in_place_keeps_rule_versions_adjudications_disputes_and_closes(store, upload):
    before = with_every_decision(store, upload)
    assert store.rebuild() == 2
    assert decided(store) == before


def test_undo_and_reupload_keep_every_stored_decision(store, upload):
    before = with_every_decision(store, upload)
    store.undo(1)
    assert decided(store) == before
    upload("leads", [VALID["leads"]])
    assert decided(store) == before
