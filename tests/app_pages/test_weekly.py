"""app_pages/weekly.py: the grid, the picked KAM-week and the tables, as the view model gives them."""

from __future__ import annotations

import pandas as pd
from streamlit.elements.plotly_chart import PlotlyState

from kam_metrics.present import weekly
from tests.app_pages.conftest import FULL_PHONE, HOSTILE, frame, is_literal, metrics, open_page, shown_text

CELLS = pd.DataFrame(
    [["甲", "2026-W01", "met", "达标", "拓展单位 3/3", "罚款 ¥0.00", "", "0"]], columns=weekly.CELLS
)


def model(detail: weekly.KamWeekView | None = None, kams=("甲", "乙")) -> weekly.WeeklyView:
    return weekly.WeeklyView(
        kams=list(kams),
        weeks=["2026-W01", "2026-W02"],
        cells=CELLS,
        detail=detail,
        flagged=pd.DataFrame({"大客户经理": ["乙"], "连续未达标周数": [2]}),
        table=pd.DataFrame({"大客户经理": ["甲"], "周": ["2026-W01"]}),
    )


def detail(kam: str = "乙", verdict: weekly.Verdict | None = None) -> weekly.KamWeekView:
    leads = pd.DataFrame({"报备时间": ["2026-01-05 10:00"], "手机号": ["138****5678"], "状态": ["有效"]})
    return weekly.KamWeekView(
        kam=kam,
        week="2026-W02",
        label="2026-W02 (2026-01-05 – 2026-01-11)",
        verdict=verdict,
        quotas=pd.DataFrame({"指标": ["拓展单位"], "完成": [1]}),
        parts={"units": pd.DataFrame(), "leads": leads, "visits": pd.DataFrame()},
        refs={"leads": ["0123456789ab"], "visits": []},
    )


VERDICT = weekly.Verdict(
    state="missed", state_label="未达标", fine="¥240.00", missed_streak=2, flag="预警", team="一组"
)


def picks(calls) -> dict:
    return {k: calls[-1][1][k] for k in ("kam", "week")}


def test_the_picked_kam_week_shows_its_verdict_and_the_rows_behind_it(sample_env, patch_view):
    patch_view(weekly, model(detail(verdict=VERDICT)))
    at = open_page("weekly")
    shown = metrics(at)
    assert (shown["本周结果"], shown["罚款"], shown["连续未达标周数"], shown["标记"], shown["团队"]) == (
        "未达标",
        "¥240.00",
        "2",
        "预警",
        "一组",
    )
    assert at.caption[1].value == "2026-W02 (2026-01-05 – 2026-01-11)"
    assert frame(at, "报备时间")["状态"].tolist() == ["有效"]
    parts = [m.value for m in at.markdown if m.value.startswith("**")]
    assert parts == ["**拓展单位** · 0 行", "**报备** · 1 行", "**带访** · 0 行"]
    assert not FULL_PHONE.search(shown_text(at))


def test_without_a_pick_the_page_asks_for_one(sample_env, patch_view):
    calls = patch_view(weekly, model())
    at = open_page("weekly")
    assert at.info[-1].value == "在上图点击一格，或在这里选择大客户经理和周，查看计数背后的每一行。"
    assert picks(calls) == {"kam": None, "week": None}
    assert at.get("plotly_chart")


def test_a_link_with_kam_and_week_gives_them_to_the_view(sample_env, patch_view):
    calls = patch_view(weekly, model(detail(verdict=VERDICT)))
    open_page("weekly", kam="乙", week="2026-W02")
    assert picks(calls) == {"kam": "乙", "week": "2026-W02"}


def test_a_click_on_the_grid_picks_that_kam_week(sample_env, patch_view):
    calls = patch_view(weekly, model())
    at = open_page("weekly")
    at.session_state["weekly_heatmap"] = PlotlyState(
        selection={"points": [{"x": "2026-W01", "y": "甲"}], "point_indices": [0], "box": [], "lasso": []}
    )
    at.run()
    assert picks(calls) == {"kam": "甲", "week": "2026-W01"}
    assert (at.selectbox(key="kam").value, at.selectbox(key="week").value) == ("甲", "2026-W01")


def test_hostile_kam_and_team_names_are_shown_as_text(sample_env, patch_view):
    name = HOSTILE[1]
    hostile = weekly.Verdict(
        state="met", state_label="达标", fine="¥0.00", missed_streak=0, flag="—", team=HOSTILE[0]
    )
    patch_view(weekly, model(detail(kam=name, verdict=hostile), kams=(name,)))
    at = open_page("weekly")
    team = next(m for m in at.metric if m.label == "团队")
    assert is_literal(team.value, HOSTILE[0])
    patch_view(weekly, model(detail(kam=name), kams=(name,)))
    at.run()
    assert is_literal(at.info[-1].value, name)


def test_picking_a_lead_opens_that_customers_story_which_links_back_to_the_kam_week(sample_env, patch_view):
    patch_view(weekly, model(detail(verdict=VERDICT)))
    at = open_page("weekly")
    assert "点选一行，查看该客户的归属经过。" in [c.value for c in at.caption]
    at.session_state["weekly_leads"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "客户归属"
    assert dict(at.query_params) in (
        {"c": "0123456789ab", "from_kam": "乙", "from_week": "2026-W02"},
        {"c": ["0123456789ab"], "from_kam": ["乙"], "from_week": ["2026-W02"]},
    )
    back = at.get("page_link")[0].proto
    assert is_literal(back.label, "返回 乙 · 2026-W02 的周考核")
    assert "kam=" in back.query_string and "week=2026-W02" in back.query_string


# -- on the real sample --------------------------------------------------------------------------
def test_smoke_a_weekly_link_on_the_sample_opens_a_kam_week_with_masked_phones(sample_env):
    at = open_page("weekly", kam="张强", week="2026-W45")
    assert {"本周结果", "罚款", "标记"} <= set(metrics(at))
    assert list(frame(at, "报备时间").columns) == ["报备时间", "手机号", "客户姓名", "状态", "说明"]
    assert not FULL_PHONE.search(shown_text(at))
