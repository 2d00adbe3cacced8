"""我的: the KAM's week against each quota with the pace to its end, the last verdicts, customers, statement."""

from __future__ import annotations

import pytest

from kam_metrics.access.roles import LOCAL, Refused
from kam_metrics.present import mine
from tests.kam_metrics.access.test_scope import P1, P3, VIEWERS, office  # noqa: F401  (office: fixture)


def test_mine_is_a_kams_page_only(office):  # noqa: F811
    for role in ("director", "finance", "team_lead"):
        with pytest.raises(Refused):
            mine.view(office, VIEWERS[role], "zh")
    with pytest.raises(Refused):
        mine.view(office, LOCAL, "zh")


def test_this_week_so_far_shows_what_is_missing_and_the_fine_if_nothing_more_comes(office):  # noqa: F811
    # as_of = 2026-09-25 (the last deal, a Friday): week 2026-W39 (09-21..27) is in progress, 2 days left.
    # 王伟 did nothing in it: SPEC §4 targets 3 / 16 / 100, fines 100 / 10 / 1 each.
    view = mine.view(office, VIEWERS["kam"], "zh")
    assert (view.kam, view.team, view.week, view.in_progress, view.days_left) == (
        "王伟",
        "一组",
        "2026-W39",
        True,
        2,
    )
    assert view.pace.values.tolist() == [
        ["拓展单位", 0, 3, 3, 2, 2, "¥300.00"],
        ["带访批次", 0, 16, 16, 2, 8, "¥160.00"],
        ["诚意客户号码", 0, 100, 100, 2, 50, "¥100.00"],
    ]
    assert view.fine_if_none == "¥560.00"


def test_the_last_weeks_show_their_verdicts_newest_first(office):  # noqa: F811
    # W37: 1 valid unit, 1 valid visit, 1 valid lead (P3 was 张强's) → 2×100 + 15×10 + 99×1 = 449.
    # W38: nothing → 560, second missed week in a row → 预警 (warn_after_weeks = 2).
    view = mine.view(office, VIEWERS["kam"], "zh")
    assert view.weeks.values.tolist() == [
        ["2026-W38", 0, 0, 0, "罚款", "¥560.00", 2, "预警"],
        ["2026-W37", 1, 1, 1, "罚款", "¥449.00", 1, ""],
    ]


def test_my_customers_show_status_reason_and_the_full_number_of_my_own_leads(office):  # noqa: F811
    view = mine.view(office, VIEWERS["kam"], "zh")
    rows = view.customers.values.tolist()
    assert [r[:4] for r in rows] == [
        [P3, "钱总", "2026-09-09 12:00", "他人已报备"],
        [P1, "王先生", "2026-09-08 10:00", "有效"],
    ]
    assert "另一位大客户经理" in rows[0][4] and "张强" not in rows[0][4]
    assert rows[1][5:7] == ["1/1", "有效"]


def test_my_statement_by_month(office):  # noqa: F811
    # September: commission 4000 × 0.5 = 2000 (visit_deal); fines of weeks ending in it: 449 + 560 (W39 in
    # progress: no fine yet); net 2000 − 1009 = 991.
    view = mine.view(office, VIEWERS["kam"], "zh")
    assert view.statement.values.tolist() == [
        ["2026-09", "¥2,000.00", "¥0.00", "¥1,009.00", "¥0.00", "¥991.00", "否"]
    ]


def test_a_kam_with_no_assessed_week_gets_an_empty_page(office):  # noqa: F811
    from kam_metrics.access.roles import KAM, Viewer

    view = mine.view(office, Viewer(login="new", role=KAM, kam="新人"), "zh")
    assert (view.week, view.pace.empty, view.weeks.empty, view.customers.empty, view.statement.empty) == (
        None,
        True,
        True,
        True,
        True,
    )
