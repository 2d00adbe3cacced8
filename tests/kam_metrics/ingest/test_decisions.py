"""Adjudications and disputes in the store (SPEC §8): keys read as ingest reads cells, verdicts checked per kind,
replace and remove, orphaned rows, and the dispute states open → accepted | rejected | withdrawn."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kam_metrics.contract import codes
from kam_metrics.engine import report
from kam_metrics.ingest import decisions
from kam_metrics.ingest.decisions import ORPHANED, DecisionError, RowKey

P = "13800000001"
LEAD = {"kam": "张三", "phone": P, "at": "2026-11-03 10:00:00"}


@pytest.fixture
def two_leads(upload):
    upload("leads", [{"reported_at": "2026-11-02 10:00", "kam": "李四", "phone": P},
                     {"reported_at": "2026-11-03 10:00", "kam": "张三", "phone": P}])  # fmt: skip


def refused(call, *args, **kwargs) -> DecisionError:
    with pytest.raises(DecisionError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_key_is_read_exactly_as_ingest_reads_the_same_cells(store):
    lead = decisions.row_key(
        store, "lead", kam=" 张 三 ", phone="+86 138-0000-0001", at="2026年11月3日 10:00"
    )
    assert lead == RowKey(
        "lead", kam="张三", phone=P, row_at=dt.datetime(2026, 11, 3, 10, 0), row_at_date_only=False
    )
    visit = decisions.row_key(store, "visit", kam="张三", phone="13800000001.0", at="2026/11/03")
    assert (visit.row_at, visit.row_at_date_only) == (dt.datetime(2026, 11, 3), True)
    unit = decisions.row_key(store, "unit", kam="张三", date="2026.11.02", unit=" Hua  Wei 科技 ")
    assert unit == RowKey(
        "unit", kam="张三", row_date=dt.date(2026, 11, 2), unit_key="huawei科技", unit_name="Hua  Wei 科技"
    )
    deal = decisions.row_key(
        store, "deal", phone="008613800000001", property="１-101", signed="2026-11-05 15:30"
    )
    assert deal == RowKey("deal", phone=P, property="1-101", row_date=dt.date(2026, 11, 5))


def test_a_bad_or_missing_key_value_is_refused_naming_the_field(store):
    assert refused(decisions.row_key, store, "lead", kam="张三", phone="1380000000", at="2026-11-03").values == {
        "field": "phone", "value": "1380000000"}  # fmt: skip
    assert (
        refused(decisions.row_key, store, "visit", kam="张三", phone=P, at="11/03").values["field"]
        == "visited_at"
    )
    assert refused(decisions.row_key, store, "unit", kam=" ", date="2026-11-02", unit="x").values == {
        "field": "kam"
    }
    error = refused(decisions.row_key, store, "row", kam="张三")
    assert error.key == "decisions.bad_kind"
    assert "缺少" in refused(
        decisions.row_key, store, "deal", phone=P, property="", signed="2026-11-05"
    ).message("zh")


@pytest.mark.parametrize(
    ("kind", "verdict", "kam", "key"),
    [
        ("lead", "no_photo", None, "decisions.bad_verdict"),
        ("visit", "owned_by_other", None, "decisions.bad_verdict"),
        ("unit", "registry_overlap", None, "decisions.bad_verdict"),
        ("lead", "valid", "李四", "decisions.kam_not_allowed"),
        ("deal", "valid", "张三", "decisions.bad_verdict"),
        ("deal", "lead_deal", None, "decisions.kam_required"),
        ("deal", "visit_deal", None, "decisions.kam_required"),
        ("deal", "unattributed", "张三", "decisions.unattributed_with_kam"),
    ],
)
def test_a_verdict_must_be_one_of_its_kinds_codes_and_a_deal_names_a_kam_exactly_when_attributed(
    kind, verdict, kam, key
):
    assert refused(decisions.check_verdict, kind, verdict, kam).key == key


def test_every_status_of_a_kind_is_a_verdict_for_it():
    for kind, statuses in (("lead", codes.LEAD_STATUSES), ("visit", codes.VISIT_STATUSES),
                           ("unit", codes.UNIT_STATUSES)):  # fmt: skip
        for status in statuses:
            decisions.check_verdict(kind, status, None)
    decisions.check_verdict("deal", "unattributed", None)
    decisions.check_verdict("deal", "lead_deal", "张三")


def test_a_reason_is_required(store, two_leads):
    error = refused(decisions.adjudicate, store, "lead", verdict="valid", reason="  ", by="t", **LEAD)
    assert error.values == {"field": "reason"}
    assert decisions.stored_adjudications(store).empty


def test_an_adjudication_of_a_stored_row_has_no_warning_and_of_a_row_not_stored_the_orphaned_one(
    store, two_leads
):
    assert decisions.adjudicate(store, "lead", verdict="valid", reason="纸质单", by="t", **LEAD) == (1, None)
    made = decisions.adjudicate(
        store,
        "deal",
        verdict="lead_deal",
        verdict_kam="张 三",
        reason="x",
        by="t",
        phone=P,
        property="1",
        signed="2026-11-05",
    )
    assert made == (2, ORPHANED)
    stored = decisions.stored_adjudications(store)
    assert stored[["adjudication_id", "kind", "verdict", "verdict_kam", "decided_by"]].values.tolist() == [
        [1, "lead", "valid", None, "t"],
        [2, "deal", "lead_deal", "张三", "t"],
    ]


def test_adjudicating_a_row_again_keeps_the_earlier_one_marked_replaced(store, two_leads):
    decisions.adjudicate(store, "lead", verdict="valid", reason="a", by="t", **LEAD)
    decisions.adjudicate(
        store, "lead", verdict="valid", reason="b", by="t", kam="李四", phone=P, at="2026-11-02 10:00"
    )
    # the same row, written differently: the same key
    decisions.adjudicate(store, "lead", verdict="duplicate_own", reason="c", by="t", kam="张三", phone=P,
                         at="2026/11/03 10:00")  # fmt: skip
    stored = decisions.stored_adjudications(store)
    assert stored["replaced_by"].tolist() == [3, None, None]
    assert [a for a in report.compute(store).adjudications["id"]] == [2, 3]


def test_removing_marks_the_adjudication_and_a_second_removal_or_a_replaced_one_is_refused(store, two_leads):
    decisions.adjudicate(store, "lead", verdict="valid", reason="a", by="t", **LEAD)
    decisions.adjudicate(store, "lead", verdict="owned_by_other", reason="b", by="t", **LEAD)
    assert refused(decisions.remove_adjudication, store, 1, "t").values == {"id": 1, "by": 2}
    decisions.remove_adjudication(store, 2, "director", "typo")
    row = decisions.stored_adjudications(store).iloc[1]
    assert (row["removed_by"], row["removed_reason"], row["removed_at"] is not None) == (
        "director",
        "typo",
        True,
    )
    assert refused(decisions.remove_adjudication, store, 2, "t").key == "decisions.already_removed"
    assert refused(decisions.remove_adjudication, store, 9, "t").key == "decisions.no_adjudication"


def file_lead(store, by="kam:张三", verdict="valid"):
    dispute, warning = decisions.file(store, "lead", asked_verdict=verdict, note="我先报备的", by=by, **LEAD)
    assert warning is None
    return dispute


def state(store, dispute_id):
    found = decisions.disputes(store)
    return found.set_index("dispute_id").loc[dispute_id, "state"]


def test_a_filed_dispute_is_open_and_changes_no_result(store, two_leads):
    dispute = file_lead(store)
    assert state(store, dispute) == "open"
    assert report.compute(store).leads["status"].tolist() == ["valid", "owned_by_other"]
    assert decisions.disputes(store, "open")["dispute_id"].tolist() == [dispute]
    assert decisions.disputes(store, "accepted").empty


def test_accepting_a_dispute_makes_the_adjudication_it_asked_for_and_keeps_the_story_as_it_stood(
    store, two_leads
):
    dispute = file_lead(store)
    made, warning = decisions.accept(store, dispute, "director", reason="登记表为证")
    assert (made, warning) == (1, None)
    row = decisions.disputes(store).iloc[0]
    assert (row["state"], row["adjudication_id"], row["decided_by"], row["decision_reason"]) == (
        "accepted", 1, "director", "登记表为证")  # fmt: skip
    story = json.loads(row["story"])
    assert [
        (e["event"], e["kam"], e["code"], e["at"], e["file"], e["row_no"], e["claim_kam"]) for e in story
    ] == [
        ("lead", "李四", "valid", "2026-11-02T10:00:00", "报备.csv", 2, "李四"),
        (
            "lead",
            "张三",
            "owned_by_other",
            "2026-11-03T10:00:00",
            "报备.csv",
            3,
            "李四",
        ),  # as before the decision
    ]
    adjudication = decisions.stored_adjudications(store).iloc[0]
    assert (adjudication["verdict"], adjudication["dispute_id"], adjudication["reason"]) == (
        "valid",
        dispute,
        "登记表为证",
    )
    assert report.compute(store).leads["status"].tolist() == ["valid", "valid"]


def test_accepting_may_decide_otherwise_than_asked(store, upload):
    upload("deals", [{"signed_at": "2026-11-05", "phone": P, "property": "1-101", "salesperson": "李销售",
                      "salesperson_commission": "4000"}])  # fmt: skip
    dispute, _ = decisions.file(store, "deal", asked_verdict="visit_deal", asked_kam="张三", note="", by="kam:张三",
                                phone=P, property="1-101", signed="2026-11-05")  # fmt: skip
    decisions.accept(store, dispute, "director", reason="没有带访记录", verdict="lead_deal")
    assert refused(decisions.accept, store, dispute, "director", reason="x").key == "decisions.dispute_closed"
    lines = report.compute(store).commissions
    assert lines[["kam", "type", "adjudication"]].values.tolist() == [["张三", "lead_deal", 1]]


def test_a_unit_dispute_keeps_no_story(store, upload):
    upload("units", [{"date": "2026-11-02", "kam": "张三", "unit_name": "华为"}])
    dispute, _ = decisions.file(store, "unit", asked_verdict="valid", note="照片在群里", by="kam:张三", kam="张三",
                                date="2026-11-02", unit="华为")  # fmt: skip
    decisions.accept(store, dispute, "director", reason="照片已补")
    assert decisions.disputes(store).iloc[0]["story"] is None
    assert report.compute(store).units["status"].tolist() == ["valid"]


def test_rejecting_needs_a_reason_and_changes_no_result(store, two_leads):
    dispute = file_lead(store)
    assert refused(decisions.reject, store, dispute, "director", "").values == {"field": "reason"}
    assert state(store, dispute) == "open"
    decisions.reject(store, dispute, "director", "李四先报备")
    row = decisions.disputes(store).iloc[0]
    assert (row["state"], row["decision_reason"]) == ("rejected", "李四先报备")
    assert decisions.stored_adjudications(store).empty


def test_only_the_filer_withdraws_and_only_while_open(store, two_leads):
    dispute = file_lead(store)
    error = refused(decisions.withdraw, store, dispute, "kam:李四")
    assert (error.key, error.values["filer"]) == ("decisions.not_filer", "kam:张三")
    decisions.withdraw(store, dispute, "kam:张三")
    assert state(store, dispute) == "withdrawn"


@pytest.mark.parametrize("first", ["accept", "reject", "withdraw"])
@pytest.mark.parametrize("then", ["accept", "reject", "withdraw"])
def test_a_dispute_once_decided_or_withdrawn_accepts_no_other_transition(store, two_leads, first, then):
    actions = {
        "accept": lambda d: decisions.accept(store, d, "director", reason="r"),
        "reject": lambda d: decisions.reject(store, d, "director", "r"),
        "withdraw": lambda d: decisions.withdraw(store, d, "kam:张三"),
    }
    dispute = file_lead(store)
    actions[first](dispute)
    reached = state(store, dispute)
    error = refused(actions[then], dispute)
    assert (error.key, error.values["state"], error.values["action"]) == (
        "decisions.dispute_closed",
        reached,
        then,
    )
    assert state(store, dispute) == reached
    assert error.message("zh").startswith(f"申诉 #{dispute} 已")


def test_a_dispute_on_a_row_not_stored_is_filed_with_the_orphaned_warning_and_unknown_ids_are_refused(store):
    assert decisions.file(store, "lead", asked_verdict="valid", note="", by="d", **LEAD) == (1, ORPHANED)
    assert refused(decisions.accept, store, 7, "d", reason="r").key == "decisions.no_dispute"
    assert refused(decisions.disputes, store, "closed").key == "decisions.bad_state"
