"""kam_metrics.present.weekly: the grid, one KAM-week with its rows, the weekly table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam_metrics.access.roles import LOCAL
from kam_metrics.present import common, overview, weekly
from tests.kam_metrics.present.conftest import column


def test_heatmap_has_one_cell_per_kam_week_with_its_state_and_the_hovers_lines_as_text(story):
    cells = weekly.heatmap(story, "zh")
    assert len(cells) == 4
    assert set(cells["state"]) == {"missed"}
    wang = cells[(cells["kam"] == "王伟") & (cells["week"] == "2026-W37")].iloc[0]
    assert wang.tolist() == [
        "王伟",
        "2026-W37",
        "missed",
        "未达标",
        "拓展单位 1/3 · 带访批次 1/16 · 诚意客户号码 1/100",
        "罚款 ¥449.00",
        "",
        "449",
    ]
    assert (
        weekly.cell_text("in_progress", 0) == "…" and weekly.cell_text("missed", Decimal("12.5")) == "12.50"
    )


def test_kam_week_shows_every_row_behind_the_counts_with_status_words_and_why(story):
    detail = weekly.kam_week(story, LOCAL, "李娜", "2026-W37", "zh")
    assert detail["row"]["fine"] == Decimal("560.00")
    leads = detail["leads"]
    assert list(leads.columns) == ["报备时间", "手机号", "客户姓名", "状态", "说明"]
    assert column(leads, "状态") == ["已在案场登记", "他人已报备"]
    assert column(leads, "手机号") == ["139****0003", "138****5678"]
    assert column(leads, "说明") == ["案场已于 2026-09-07 09:00 登记该客户", "该号码归属 王伟"]
    assert column(detail["units"], "状态") == ["重复单位"]
    assert detail["visits"].empty
    quotas = detail["quotas"]
    assert quotas.iloc[0].tolist() == ["拓展单位", 0, 3, 3, "¥300.00"]


def test_flagged_lists_kams_whose_last_assessed_week_is_flagged(story, compute):
    # Two missed weeks in a row: a warning under the default rules, a dismissal review from 2 weeks on.
    assert common.flagged(story, "zh").values.tolist() == [
        ["李娜", "二组", "预警", 2, ""],
        ["王伟", "一组", "预警", 2, ""],
    ]
    strict = compute(review_after_weeks=2)
    assert common.flagged(strict, "en")["Flag"].tolist() == ["dismissal review", "dismissal review"]
    assert overview.kpis(story, "2026-W38")["warning"] == 2


def test_weekly_table_shows_words_and_money(story):
    table = weekly.weekly_table(story, "zh")
    assert table.iloc[0][["大客户经理", "周", "罚款", "达标"]].tolist() == [
        "王伟",
        "2026-W37",
        "¥449.00",
        "否",
    ]


def test_the_weekly_view_opens_the_picked_kam_week_with_its_verdict_and_rows(story):
    shown = weekly.view(story, LOCAL, "zh", kam="李娜", week="2026-W37")
    assert (shown.kams, shown.weeks) == (["王伟", "李娜"], ["2026-W37", "2026-W38"])
    detail = shown.detail
    assert (detail.kam, detail.week, detail.label) == (
        "李娜",
        "2026-W37",
        "2026-W37 (2026-09-07 – 2026-09-13)",
    )
    assert detail.verdict == weekly.Verdict(
        state="missed", state_label="未达标", fine="¥560.00", missed_streak=1, flag="—", team="二组"
    )
    assert list(detail.parts) == ["units", "leads", "visits"]
    assert column(detail.parts["leads"], "状态") == ["已在案场登记", "他人已报备"]
    assert len(shown.cells) == 4 and len(shown.table) == 4


@pytest.mark.parametrize(
    ("kam", "week"), [(None, "2026-W37"), ("李娜", None), ("无此人", "2026-W37"), ("李娜", "2020-W01")]
)
def test_the_weekly_view_opens_no_kam_week_without_a_shown_kam_and_week(story, kam, week):
    assert weekly.view(story, LOCAL, "zh", kam=kam, week=week).detail is None


def test_each_lead_and_visit_of_a_kam_week_carries_its_customers_reference(story):
    from kam_metrics.present.customer import customer_ref
    from tests.kam_metrics.present.conftest import PHONE

    key = b"k" * 16
    shown = weekly.view(story, LOCAL, "zh", kam="王伟", week="2026-W37", key=key).detail
    assert shown.refs == {"leads": [customer_ref(PHONE, key)], "visits": [customer_ref(PHONE, key)]}
    assert len(shown.parts["leads"]) == len(shown.refs["leads"])
