"""kam_metrics.present.overview: one week's team figures, funnel and trend."""

from __future__ import annotations

from decimal import Decimal

from kam_metrics.present import overview


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
    shown = overview.view(story, "zh")
    assert (shown.weeks, shown.week, shown.as_of) == (["2026-W37", "2026-W38"], "2026-W38", "2026-09-20")
    assert shown.week_labels["2026-W37"] == "2026-W37 (2026-09-07 – 2026-09-13)"
    assert (shown.kpi["week"], shown.kpi["fines_text"], shown.kpi["commission_text"]) == (
        "2026-W38",
        "¥1,120.00",
        "¥2,000.00",
    )
    assert shown.flagged.values.tolist() == [["李娜", "二组", "预警", 2], ["王伟", "一组", "预警", 2]]
    assert overview.view(story, "zh", week="2026-W37").kpi["fines_text"] == "¥1,009.00"
    assert overview.view(story, "zh", week="2025-W01").week == "2026-W38"


def test_the_overview_view_of_a_store_without_assessed_weeks_has_no_figures(compute):
    shown = overview.view(compute(), "en")
    assert (shown.weeks, shown.week, shown.kpi) == ([], None, None)
