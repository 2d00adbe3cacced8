"""kam_metrics.present.customer: finding a customer, their story and claim, refusals per KAM."""

from __future__ import annotations

import pytest

from kam_metrics.access.roles import LOCAL
from kam_metrics.present import customer
from tests.kam_metrics.present.conftest import OVERLAP_PHONE, PHONE


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("5678", [PHONE]),
        ("138 1234 5678", [PHONE]),
        ("王建", [PHONE]),
        ("赵", [OVERLAP_PHONE]),
        ("无此人", []),
    ],
)
def test_find_customers_by_digits_of_the_number_or_part_of_a_name(story, query, found):
    assert customer.find_customers(story, query) == found


def test_customer_story_tells_leads_visit_and_deal_in_time_order_with_who_and_why(story):
    shown = customer.customer_story(story, LOCAL, PHONE, "zh")
    assert shown[["时间", "事件", "大客户经理", "状态"]].values.tolist() == [
        ["2026-09-08 10:00", "报备", "王伟", "有效"],
        ["2026-09-09 11:00", "报备", "李娜", "他人已报备"],
        ["2026-09-10 15:00", "带访", "王伟", "有效"],
        ["2026-09-20", "成交", "王伟", "带访成交"],
    ]
    assert "¥2,000.00" in shown["详情"].iloc[-1]
    assert customer.customer_label(story, PHONE) == "138****5678 · 王先生 / 王建国"


def test_claim_text_names_the_holder_and_the_winning_lead(story):
    assert (
        customer.claim_text(story, LOCAL, PHONE, "zh")
        == "归属：王伟（2026-09-08 10:00 首次有效报备），长期有效。"
    )
    assert (
        customer.claim_text(story, LOCAL, OVERLAP_PHONE, "en")
        == "No KAM holds this customer at the as-of date."
    )


def test_refusals_count_refused_leads_and_visits_per_kam_and_reason(story):
    frame = customer.refusals(story, LOCAL, "zh")
    assert frame.values.tolist() == [["李娜", "报备", "他人已报备", 1], ["李娜", "报备", "已在案场登记", 1]]


def test_the_customer_view_opens_the_one_match_with_its_story_and_claim(story):
    shown = customer.view(story, LOCAL, "zh", query="王建")
    assert (shown.matches, shown.phone) == ([PHONE], PHONE)
    assert shown.customer.label == "138****5678 · 王先生 / 王建国"
    assert shown.customer.claim == "归属：王伟（2026-09-08 10:00 首次有效报备），长期有效。"
    assert shown.customer.story.iloc[0].tolist() == [
        "2026-09-08 10:00",
        "报备",
        "王伟",
        "有效",
        "取得归属，计入诚意客户号码",
    ]
    assert shown.refusals.values.tolist() == [
        ["李娜", "报备", "他人已报备", 1],
        ["李娜", "报备", "已在案场登记", 1],
    ]
    assert shown.kams == ["王伟", "李娜"]


def test_the_customer_view_masks_a_typed_number_that_matches_nobody(story):
    shown = customer.view(story, LOCAL, "zh", query="13700001111")
    assert (shown.matches, shown.phone, shown.customer, shown.query_masked) == ([], None, None, "137****1111")


def test_the_customer_view_labels_its_matches_and_shows_the_phone_asked_for(story):
    shown = customer.view(story, LOCAL, "zh", query="1", phone=OVERLAP_PHONE)
    assert shown.matches == []  # one digit is no search
    assert shown.customer.label == "139****0003 · 赵敏 / 赵女士"
    named = customer.view(story, LOCAL, "zh", query="赵")
    assert named.match_labels == {OVERLAP_PHONE: "139****0003 · 赵敏 / 赵女士"}


def test_the_customer_views_refusals_follow_the_team_results(story):
    from kam_metrics.present.common import for_team

    shown = customer.view(story, LOCAL, "zh", team_results=for_team(story, "一组"))
    assert shown.refusals.empty and shown.kams == ["王伟"]


def test_a_customer_reference_is_opaque_and_resolves_only_against_the_stored_numbers_under_its_key(story):
    key, other = b"k" * 16, b"x" * 16
    ref = customer.customer_ref(PHONE, key)
    assert len(ref) == 12 and PHONE not in ref and ref != customer.customer_ref(PHONE, other)
    assert customer.resolve_ref(story, ref, key) == PHONE
    assert customer.resolve_ref(story, ref, other) is None
    assert customer.resolve_ref(story, customer.customer_ref("13700001111", key), key) is None
    shown = customer.view(story, LOCAL, "zh", ref=ref, key=key)
    assert (shown.phone, shown.ref, shown.customer.phone_masked) == (PHONE, ref, "138****5678")
