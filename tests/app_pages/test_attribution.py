"""app_pages/attribution.py: search, the chosen customer's story and claim, and the refusals chart."""

from __future__ import annotations

import pandas as pd
import pytest

from kam_metrics.present import customer
from tests.app_pages.conftest import FULL_PHONE, HOSTILE, frame, is_literal, literal, open_page, shown_text

STORY = pd.DataFrame(
    {
        "时间": ["2026-01-05 10:00"],
        "事件": ["报备"],
        "大客户经理": [HOSTILE[1]],
        "状态": ["有效"],
        "详情": ["x"],
    }
)
REFUSALS = pd.DataFrame({"kam": ["乙"], "what": ["报备"], "reason": ["他人已报备"], "count": [1]})


def model(**changes) -> customer.CustomerView:
    values = {
        "query_masked": "",
        "matches": [],
        "match_labels": {},
        "phone": None,
        "ref": None,
        "customer": None,
        "refusals": REFUSALS,
        "kams": ["甲", "乙"],
    }
    return customer.CustomerView(**(values | changes))


def one(label: str, claim: str, story: pd.DataFrame = STORY) -> customer.CustomerShown:
    return customer.CustomerShown(phone_masked="138****5678", label=label, claim=claim, story=story)


KEY = "00" * 16  # $KAM_LINK_KEY in these tests
REF = customer.customer_ref("13812345678", bytes.fromhex(KEY))


@pytest.fixture(autouse=True)
def link_key(monkeypatch):
    monkeypatch.setenv("KAM_LINK_KEY", KEY)


def test_the_chosen_customer_shows_label_claim_and_story_with_hostile_names_as_text(sample_env, patch_view):
    label = f"138****5678 · {HOSTILE[0]} / {HOSTILE[2]}"
    claim = f"归属：{HOSTILE[1]}（2026-01-05 10:00 首次有效报备），长期有效。"
    calls = patch_view(customer, model(phone="13812345678", ref=REF, customer=one(label, claim)))
    at = open_page("attribution", c=REF)
    assert is_literal(at.subheader[0].value, label)
    assert is_literal(at.info[-1].value, claim)
    assert frame(at, "事件")["大客户经理"].tolist() == [HOSTILE[1]]
    assert (calls[-1][1]["ref"], calls[-1][1]["key"]) == (REF, bytes.fromhex(KEY))


def test_an_old_link_with_the_number_is_rewritten_to_the_opaque_reference(sample_env, patch_view):
    calls = patch_view(customer, model(phone="13812345678", ref=REF, customer=one("x", "y")))
    at = open_page("attribution", phone="13812345678")
    assert "phone" not in at.query_params
    assert at.query_params["c"] in (REF, [REF])
    assert calls[-1][1]["ref"] == REF
    assert at.get("plotly_chart")


def test_an_unknown_phone_says_so_with_the_number_masked(sample_env, patch_view):
    patch_view(customer, model(phone="13812345678", customer=one("", "", pd.DataFrame())))
    at = open_page("attribution", c=REF)
    assert is_literal(at.warning[0].value, "138****5678")
    assert not FULL_PHONE.search(at.warning[0].value)


def test_a_search_with_several_matches_offers_their_labels_and_the_pick_goes_to_the_url(
    sample_env, patch_view
):
    labels = {"13812345678": "138****5678 · 王先生", "13912345678": "139****5678 · 王女士"}
    calls = patch_view(customer, model(matches=list(labels), match_labels=labels))
    at = open_page("attribution")
    at.text_input(key="attr_query").input("王").run()
    assert calls[-1][1]["query"] == "王"
    assert at.caption[0].value == "找到 2 位客户"
    pick = at.selectbox(key="attr_match")
    assert pick.options == list(labels.values())
    pick.select_index(1).run()
    ref = customer.customer_ref("13912345678", bytes.fromhex(KEY))
    assert at.query_params["c"] in (ref, [ref]) and "phone" not in at.query_params


def test_a_search_without_matches_warns_with_what_was_typed_masked(sample_env, patch_view):
    patch_view(customer, model(query_masked="137****1111"))
    at = open_page("attribution")
    at.text_input(key="attr_query").input("13700001111").run()
    assert is_literal(at.warning[0].value, "“137****1111”")
    assert not FULL_PHONE.search(at.warning[0].value)


def test_no_refusals_is_said_in_words(sample_env, patch_view):
    patch_view(customer, model(refusals=REFUSALS.iloc[0:0]))
    at = open_page("attribution")
    assert at.success[0].value == "没有被拒的报备或带访。" and not at.get("plotly_chart")


# -- on the real sample --------------------------------------------------------------------------
def test_smoke_an_attribution_link_on_the_sample_tells_a_story_with_the_number_masked(sample_env):
    at = open_page("attribution", c=customer.customer_ref("13007199725", bytes.fromhex(KEY)))
    assert literal(at.subheader[0].value).startswith("130****9725 · ")
    assert list(frame(at, "事件").columns) == ["时间", "事件", "大客户经理", "状态", "详情"]
    assert not FULL_PHONE.search(shown_text(at))
