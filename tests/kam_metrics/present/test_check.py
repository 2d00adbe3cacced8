"""查重: free / yours since … / held by another KAM / registered at the sales office on …, for each role."""

from __future__ import annotations

import time

import pytest

from kam_metrics.access.roles import Refused
from kam_metrics.present import check
from tests.kam_metrics.access.test_scope import P1, P2, P3, P4, VIEWERS, office  # noqa: F401  (office: fixture)


def _one(results, role, query):
    view = check.view(results, VIEWERS[role], query, "zh")
    assert len(view.answers) == 1, view
    a = view.answers[0]
    return a.status, a.kam, a.since, a.registered_on


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (P1, ("yours", "王伟", "2026-09-08 10:00", "")),
        ("+86 138-1234-5678", ("yours", "王伟", "2026-09-08 10:00", "")),  # SPEC §2: 86 before 11 digits
        ("00861３８12345678", ("yours", "王伟", "2026-09-08 10:00", "")),  # full-width digits (NFKC)
        ("13812345678.0", ("yours", "王伟", "2026-09-08 10:00", "")),
        (P3, ("held", "", "", "")),  # 张强's: never named to 王伟
        (P4, ("held", "", "", "")),
        (P2, ("registered", "", "", "2026-09-07")),  # 李娜's lead was an overlap: nobody holds it
        ("13300004444", ("free", "", "", "")),
    ],
)
def test_a_kam_gets_the_answer_and_never_the_other_kams_name(office, query, expected):  # noqa: F811
    assert _one(office, "kam", query) == expected


def test_a_team_lead_hears_their_teams_names_only_and_the_director_every_name(office):  # noqa: F811
    assert _one(office, "team_lead", P3) == ("yours", "张强", "2026-09-08 09:00", "")
    assert _one(office, "team_lead", P4) == ("held", "", "", "")
    assert _one(office, "director", P4) == ("held", "李娜", "2026-09-10 10:00", "")


def test_a_masked_number_searches_only_the_viewers_own_leads(office):  # noqa: F811
    assert _one(office, "kam", "138****5678")[0] == "yours"
    view = check.view(office, VIEWERS["kam"], "136****2222", "zh")  # 李娜's customer: not among 王伟's leads
    assert (view.kind, view.answers) == ("masked", [])
    assert view.answers == [] and view.message


def test_an_invalid_number_is_said_to_be_one(office):  # noqa: F811
    view = check.view(office, VIEWERS["kam"], "12345", "zh")
    assert (view.kind, view.answers) == ("invalid", [])


def test_finance_may_not_check_a_phone(office):  # noqa: F811
    with pytest.raises(Refused):
        check.view(office, VIEWERS["finance"], P1, "zh")


def test_the_index_is_built_once_per_results(office):  # noqa: F811
    first = check.index(office)
    assert check.index(office) is first
    t0 = time.perf_counter()
    for _ in range(100):
        check.view(office, VIEWERS["kam"], P1, "zh")
    assert time.perf_counter() - t0 < 1.0  # a lookup, not a scan


def test_a_lapsed_claim_leaves_the_phone_free(upload, compute):
    # SPEC §3: with protection_days = 7 a claim without a valid visit is in force for 7 × 24 h only
    upload("roster", [{"kam": "王伟", "team": "一组"}, {"kam": "李娜", "team": "二组"}])
    upload(
        "leads",
        [
            {"reported_at": "2026-09-01 10:00", "kam": "王伟", "phone": P1},
            {"reported_at": "2026-09-20 10:00", "kam": "李娜", "phone": P4},
        ],
    )
    lapsing = compute(protection_days=7)
    assert _one(lapsing, "director", P1) == ("free", "", "", "")
    assert _one(lapsing, "director", P4) == ("held", "李娜", "2026-09-20 10:00", "")
    assert _one(compute(), "director", P1) == ("held", "王伟", "2026-09-01 10:00", "")


def test_a_store_with_only_the_registry_answers_registered_or_free(upload, compute):
    upload("registrations", [{"registered_at": "2026-09-07 09:00", "phone": P2}])
    results = compute()
    assert _one(results, "director", P2) == ("registered", "", "", "2026-09-07")
    assert _one(results, "director", P1) == ("free", "", "", "")


def test_an_empty_store_answers_free(compute):
    assert _one(compute(), "director", P1) == ("free", "", "", "")


def test_a_date_only_lead_is_yours_since_its_date(upload, compute):
    upload("leads", [{"reported_at": "2026-09-08", "kam": "王伟", "phone": P1}])
    assert _one(compute(), "director", P1) == ("held", "王伟", "2026-09-08", "")
