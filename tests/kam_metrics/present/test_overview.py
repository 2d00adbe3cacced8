"""kam_metrics.present.overview: one week's team figures, funnel and trend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kam_metrics.access.roles import LOCAL
from kam_metrics.present import common, overview


def test_kpis_add_up_the_teams_counts_targets_fines_and_the_months_commission(story):
    kpi = overview.kpis(story, "2026-W37")
    assert kpi["kams"] == 2
    assert [(q["quota"], q["count"], q["target"]) for q in kpi["quotas"]] == [
        ("units", 1, 6),
        ("batches", 1, 32),
        ("numbers", 1, 200),
    ]
    # 王伟: 2×100 + 15×10 + 99×1 = 449; 李娜 did nothing valid: 560.
    assert kpi["fines"] == Decimal("1009.00")
    assert (kpi["month"], kpi["commission"]) == ("2026-09", Decimal("2000.00"))
    assert kpi["flagged"] == 0


def test_funnel_counts_leads_valid_leads_valid_visits_and_attributed_deals(story):
    frame = overview.funnel(story, "en")
    assert frame.to_dict("list") == {
        "stage": ["Leads", "Valid leads", "Valid visits", "Deals"],
        "count": [3, 1, 1, 1],
    }


def test_trend_has_count_and_target_per_week_and_quota(story):
    frame = overview.trend(story, "zh")
    assert len(frame) == 2 * 3 * 2
    first = frame[(frame["week"] == "2026-W37") & (frame["quota"] == "诚意客户号码")]
    assert first[["label", "series", "value"]].values.tolist() == [["W37", "完成", 1], ["W37", "目标", 200]]


def test_the_overview_view_opens_the_latest_week_unless_another_shown_week_is_picked(story):
    shown = overview.view(story, LOCAL, "zh")
    assert (shown.weeks, shown.week, shown.as_of) == (["2026-W37", "2026-W38"], "2026-W38", "2026-09-20")
    assert shown.week_labels["2026-W37"] == "2026-W37 (2026-09-07 – 2026-09-13)"
    assert (shown.kpi["week"], shown.kpi["fines_text"], shown.kpi["commission_text"]) == (
        "2026-W38",
        "¥1,120.00",
        "¥2,000.00",
    )
    assert shown.flagged.values.tolist() == [["李娜", "二组", "预警", 2, ""], ["王伟", "一组", "预警", 2, ""]]
    assert overview.view(story, LOCAL, "zh", week="2026-W37").kpi["fines_text"] == "¥1,009.00"
    assert overview.view(story, LOCAL, "zh", week="2025-W01").week == "2026-W38"


def test_the_overview_view_of_a_store_without_assessed_weeks_has_no_figures(compute):
    shown = overview.view(compute(), LOCAL, "en")
    assert (shown.weeks, shown.week, shown.kpi) == ([], None, None)


def test_the_overview_opens_the_last_complete_week_with_the_in_progress_week_one_click_away(story, compute):
    # 2026-09-16 is a Wednesday of W38: W38 is in progress, W37 is the last complete week.
    mid_week = compute(as_of=dt.date(2026, 9, 16))
    shown = overview.view(mid_week, LOCAL, "zh")
    assert (shown.weeks, shown.week, shown.current) == (["2026-W37", "2026-W38"], "2026-W37", "2026-W38")
    assert overview.view(mid_week, LOCAL, "zh", week="2026-W38").kpi["in_progress"] is True
    assert overview.view(story, LOCAL, "zh").current is None
    # The trend leaves the part week out (no steep drop); the complete weeks stay.
    assert set(overview.view(mid_week, LOCAL, "zh").trend["week"]) == {"2026-W37"}
    assert set(overview.view(story, LOCAL, "zh").trend["week"]) == {"2026-W37", "2026-W38"}


def test_the_overview_names_who_missed_with_shortfalls_fine_streak_and_the_week_before(story):
    shown = overview.view(story, LOCAL, "zh", week="2026-W38")
    assert (shown.kpi["met"], shown.kpi["kams"]) == (0, 2)
    w37 = {r.kam: r for r in story.weekly[story.weekly["week"] == "2026-W37"].itertuples()}
    rows = story.weekly[story.weekly["week"] == "2026-W38"].sort_values(
        ["fine", "kam"], ascending=[False, True]
    )
    expected = []
    for r in rows.itertuples():
        before = w37[r.kam].fine
        change = (
            "持平"
            if (r.fine, r.units_short + r.batches_short + r.numbers_short)
            == (
                before,
                w37[r.kam].units_short + w37[r.kam].batches_short + w37[r.kam].numbers_short,
            )
            else "好转"
            if r.fine < before
            else "变差"
        )
        expected.append(
            [
                r.kam,
                r.team,
                r.units_short,
                r.batches_short,
                r.numbers_short,
                f"¥{r.fine:,.2f}",
                2,
                f"¥{before:,.2f}",
                change,
            ]
        )
    assert shown.missed.values.tolist() == expected
    # 李娜 did nothing in either week (¥560 both): same; 王伟 did less in W38 than W37 (¥449): worse.
    assert [row[-1] for row in expected] == ["持平", "变差"]
    assert shown.missed.columns.tolist()[2:5] == ["拓展单位缺口", "带访批次缺口", "诚意客户号码缺口"]
    assert overview.view(story, LOCAL, "en", week="2026-W37").missed["Against the week before"].tolist() == [
        "not assessed the week before",
        "not assessed the week before",
    ]


def test_the_flagged_card_counts_the_flagged_list_and_a_kam_who_left_is_marked_left(story, upload, compute):
    # 李娜 leaves on 2026-09-14: her last assessed week stays W37's (missed once) and W38 has no row of hers.
    upload(
        "roster",
        [
            {"kam": "王伟", "team": "一组", "start_date": "2026-09-01"},
            {"kam": "李娜", "team": "二组", "start_date": "2026-09-01", "end_date": "2026-09-14"},
        ],
    )
    results = compute(warn_after_weeks=1)
    shown = overview.view(results, LOCAL, "zh", week="2026-W38")
    assert shown.flagged.values.tolist() == [
        ["王伟", "一组", "预警", 2, ""],
        ["李娜", "二组", "预警", 1, "已离职（2026-09-14）"],
    ]
    assert (shown.kpi["flagged"], shown.kpi["left"], shown.kpi["warning"]) == (2, 1, 2)
    assert len(common.flagged_rows(results, "2026-W37")) == overview.kpis(results, "2026-W37")["flagged"] == 2
