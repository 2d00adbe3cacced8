"""access.scope: what each role of SPEC §10 sees of the results, and how it sees a phone."""

from __future__ import annotations

import pytest

from kam_metrics.access.roles import DIRECTOR, FINANCE, KAM, LOCAL, TEAM_LEAD, Viewer
from kam_metrics.access.scope import OTHER_KAM, phone_shown, scope
from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.ingest.store import Store
from tests.helpers import write_csv

# 王伟 and 张强 are 一组, 李娜 is 二组 (SPEC §10: a team is the roster's team).
P1 = "13812345678"  # 王伟's customer (valid lead, valid visit, visit_deal); 李娜 reports it later
P2 = "13900000003"  # registered at the office before 李娜's lead (registry_overlap)
P3 = "13700001111"  # 张强's customer; 王伟 reports it later (owned_by_other)
P4 = "13600002222"  # 李娜's customer with a lead_deal
P5 = "13500003333"  # a deal nobody reported (unattributed)
NAMES = ("王伟", "张强", "李娜")

DIRECTOR_V = Viewer(login="boss", role=DIRECTOR)
FINANCE_V = Viewer(login="money", role=FINANCE)
LEAD_V = Viewer(login="lead1", role=TEAM_LEAD, team="一组")
KAM_V = Viewer(login="wangwei", role=KAM, kam="王伟")
VIEWERS = {"director": DIRECTOR_V, "finance": FINANCE_V, "team_lead": LEAD_V, "kam": KAM_V}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """Three KAMs in two teams, one customer story per kind of claim, a rejected row and a warning (built once
    per module: every test only reads it)."""
    folder = tmp_path_factory.mktemp("office")
    store = Store(folder / "kam.duckdb")
    count = iter(range(100))

    def upload(kind: str, rows: list[dict]) -> None:
        sub = folder / f"u{next(count)}"
        sub.mkdir()
        store.ingest(write_csv(sub / f"{KINDS[kind].aliases[0]}.csv", kind, rows))

    upload(
        "roster",
        [
            {"kam": "王伟", "team": "一组", "start_date": "2026-09-07"},
            {"kam": "张强", "team": "一组", "start_date": "2026-09-07"},
            {"kam": "李娜", "team": "二组", "start_date": "2026-09-07"},
        ],
    )
    upload(
        "registrations",
        [{"registered_at": "2026-09-07 09:00", "customer_name": "赵敏", "phone": P2, "salesperson": "孙丽"}],
    )
    upload(
        "leads",
        [
            {"reported_at": "2026-09-08 09:00", "kam": "张强", "customer_name": "钱总", "phone": P3},
            {"reported_at": "2026-09-08 10:00", "kam": "王伟", "customer_name": "王先生", "phone": P1},
            {"reported_at": "2026-09-08 12:00", "kam": "李娜", "customer_name": "赵女士", "phone": P2},
            {"reported_at": "2026-09-09 11:00", "kam": "李娜", "customer_name": "王建国", "phone": P1},
            {"reported_at": "2026-09-09 12:00", "kam": "王伟", "customer_name": "钱总", "phone": P3},
            {"reported_at": "2026-09-10 10:00", "kam": "李娜", "customer_name": "孙女士", "phone": P4},
            {"reported_at": "2026-09-10 11:00", "kam": "李娜", "customer_name": "坏号", "phone": "12345"},
        ],
    )
    upload(
        "visits",
        [
            {
                "visited_at": "2026-09-10 15:00",
                "kam": "王伟",
                "customer_name": "王建国",
                "phone": P1,
                "party_size": "三",
                "salesperson": "孙丽",
            }
        ],
    )
    upload(
        "units",
        [
            {"date": "2026-09-08", "kam": "王伟", "unit_name": "华为技术有限公司", "photo": "a.jpg"},
            {"date": "2026-09-09", "kam": "李娜", "unit_name": "华为 技术有限公司", "photo": "b.jpg"},
        ],
    )
    deal = {"amount": "2680000", "salesperson": "孙丽", "salesperson_commission": "4000"}
    upload(
        "deals",
        [
            {
                **deal,
                "signed_at": "2026-09-20",
                "customer_name": "王建国",
                "phone": P1,
                "property": "3栋1502",
            },
            {
                **deal,
                "signed_at": "2026-09-24",
                "customer_name": "孙女士",
                "phone": P4,
                "property": "5栋0801",
            },
            {
                **deal,
                "signed_at": "2026-09-25",
                "customer_name": "周先生",
                "phone": P5,
                "property": "6栋1201",
            },
        ],
    )
    results = report.compute(store)
    store.close()
    return results


def _kams_in(results) -> set[str]:
    names = set()
    for name in (
        "kams",
        "summary",
        "weekly",
        "statement",
        "commissions",
        "leads",
        "visits",
        "units",
        "claims",
    ):
        names |= {k for k in getattr(results, name)["kam"] if k}
    return names


@pytest.mark.parametrize("role", ["director", "finance"])
def test_director_and_finance_see_the_results_unchanged(office, role):
    assert scope(office, VIEWERS[role]) is office
    assert scope(office, LOCAL) is office


def test_a_team_lead_sees_their_teams_kams_and_nothing_of_another_team(office):
    scoped = scope(office, LEAD_V)
    assert _kams_in(scoped) == {"王伟", "张强"}
    assert sorted(scoped.kams["kam"]) == ["张强", "王伟"]
    # 李娜's lead on P1 is gone; her deal line (P4) and the unattributed deal (P5) too
    assert set(scoped.commissions["phone"]) == {P1}
    assert set(scoped.leads["phone"]) == {P1, P3}
    # the registry only for phones on the team's rows: P2 is only on 李娜's row
    assert scoped.registrations.empty
    assert scoped.rejected.empty and scoped.warnings.empty  # the office's raw rows: director and finance only


def test_a_kam_sees_only_their_own_rows_and_another_kams_claim_is_anonymous(office):
    scoped = scope(office, KAM_V)
    assert _kams_in(scoped) == {"王伟"}
    assert scoped.kams["kam"].tolist() == ["王伟"]
    leads = scoped.leads.sort_values("reported_at")
    assert leads[["phone", "status"]].values.tolist() == [[P1, "valid"], [P3, "owned_by_other"]]
    assert leads["claim_kam"].tolist() == ["王伟", OTHER_KAM]  # 张强 holds P3: never named to 王伟
    assert scoped.visits["phone"].tolist() == [P1]
    assert scoped.commissions[["phone", "type", "line"]].values.tolist() == [[P1, "visit_deal", "commission"]]
    assert scoped.summary["kam"].tolist() == ["王伟"]
    assert set(scoped.weekly["kam"]) == {"王伟"} and set(scoped.statement["kam"]) == {"王伟"}
    assert scoped.claims["phone"].tolist() == [P1]
    assert scoped.rejected.empty and scoped.warnings.empty


def test_scope_is_cached_per_results_and_viewer_and_idempotent(office):
    once = scope(office, KAM_V)
    assert scope(office, KAM_V) is once
    assert scope(once, KAM_V) is once


def test_a_kam_account_naming_nobody_in_the_data_sees_nothing(office):
    scoped = scope(office, Viewer(login="x", role=KAM, kam="不存在"))
    assert scoped.leads.empty and scoped.summary.empty and scoped.registrations.empty


@pytest.mark.parametrize(
    ("role", "own", "download", "expected"),
    [
        ("director", False, False, "138****5678"),
        ("director", False, True, P1),
        ("finance", False, True, P1),
        ("finance", False, False, "138****5678"),
        ("team_lead", False, True, "138****5678"),
        ("team_lead", True, False, "138****5678"),
        ("kam", True, False, P1),
        ("kam", True, True, P1),
        ("kam", False, True, "138****5678"),
        ("kam", False, False, "138****5678"),
    ],
)
def test_a_phone_is_shown_in_full_exactly_where_spec_10_says(role, own, download, expected):
    assert phone_shown(VIEWERS[role], P1, own, download) == expected
