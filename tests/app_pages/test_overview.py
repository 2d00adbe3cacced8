"""app_pages/overview.py: the week's figures, funnel, trend and flagged KAMs as the view model gives them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from kam_metrics.present import overview
from tests.app_pages.conftest import frame, metrics, open_page


def model(**changes) -> overview.OverviewView:
    kpi = {
        "week": "2026-W02",
        "week_start": dt.date(2026, 1, 5),
        "in_progress": True,
        "kams": 3,
        "met": 1,
        "quotas": [
            {"quota": "units", "count": 4, "target": 9, "rate": 4 / 9},
            {"quota": "batches", "count": 10, "target": 48, "rate": 10 / 48},
            {"quota": "numbers", "count": 300, "target": 300, "rate": 1.0},
        ],
        "fines": Decimal("12.50"),
        "fines_text": "¥12.50",
        "month": "2026-01",
        "commission": Decimal("7"),
        "commission_text": "¥7.00",
        "net": Decimal("0"),
        "flagged": 2,
        "left": 1,
        "warning": 1,
        "dismissal_review": 1,
    }
    values = {
        "weeks": ["2026-W01", "2026-W02"],
        "week_labels": {"2026-W01": "2026-W01 (a)", "2026-W02": "2026-W02 (b)"},
        "week": "2026-W02",
        "current": "2026-W02",
        "kpi": kpi,
        "missed": pd.DataFrame(),
        "as_of": "2026-01-08",
        "funnel": pd.DataFrame({"stage": ["报备", "成交"], "count": [5, 1]}),
        "trend": pd.DataFrame(
            {"week": ["2026-W01"], "label": ["W01"], "quota": ["拓展单位"], "series": ["完成"], "value": [1]}
        ),
        "flagged": pd.DataFrame({"大客户经理": ["<b>x</b>", "赵六"], "连续未达标周数": [3, 2]}),
    }
    return overview.OverviewView(**(values | changes))


def test_the_overview_shows_the_view_models_figures_and_flagged_kams(sample_env, patch_view):
    calls = patch_view(overview, model())
    at = open_page()
    assert at.title[0].value == "总览"
    shown = metrics(at)
    assert (shown["拓展单位"], shown["带访批次"], shown["诚意客户号码"]) == ("4 / 9", "10 / 48", "300 / 300")
    assert [m.delta for m in at.metric[:3]] == ["44%", "21%", "100%"]
    assert (shown["本周罚款"], shown["2026-01 月佣金"], shown["被标记人数"]) == ("¥12.50", "¥7.00", "2")
    assert at.caption[0].value == "本周尚未结束：显示目前的完成数，罚款在周末结算。"
    assert "2026-01-08" in at.caption[2].value
    assert frame(at, "连续未达标周数")["大客户经理"].tolist() == ["<b>x</b>", "赵六"]
    assert at.selectbox(key="ov_week").options == ["2026-W01 (a)", "2026-W02 (b)"]
    assert at.selectbox(key="ov_week").value == "2026-W02"
    assert calls[0][1] == {"week": None}


def test_a_picked_week_goes_to_the_view(sample_env, patch_view):
    calls = patch_view(overview, model())
    at = open_page()
    at.selectbox(key="ov_week").select("2026-W01").run()
    assert calls[-1][1] == {"week": "2026-W01"}


def test_without_assessed_weeks_the_overview_says_so(sample_env, patch_view):
    empty = pd.DataFrame()
    patch_view(
        overview,
        model(weeks=[], week_labels={}, week=None, current=None, kpi=None, funnel=empty, trend=empty),
    )
    at = open_page()
    assert at.info[-1].value == "截止日期之前还没有可考核的周。"
    assert not at.metric


def test_switching_to_english_changes_the_title_and_metric_labels(sample_env, patch_view):
    calls = patch_view(overview, model())
    at = open_page()
    at.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "Overview"
    assert metrics(at)["Units"] == "4 / 9"
    assert calls[-1][0][2] == "en"


def test_the_team_filter_gives_the_view_that_teams_results(sample_env, patch_view):
    calls = patch_view(overview, model())
    at = open_page()
    at.selectbox(key="team").select("二组").run()
    results = calls[-1][0][0]
    assert set(results.kams["team"]) == {"二组"}


def test_a_complete_week_says_how_many_met_and_names_who_missed_with_a_button_to_this_week(
    sample_env, patch_view
):
    done = model()
    kpi = done.kpi | {"week": "2026-W01", "in_progress": False}
    missed = pd.DataFrame({"大客户经理": ["<b>x</b>"], "罚款": ["¥30.00"], "与上周相比": ["变差"]})
    calls = patch_view(overview, model(week="2026-W01", kpi=kpi, missed=missed))
    at = open_page()
    assert at.subheader[0].value == "达标 1/3 人"
    assert frame(at, "与上周相比").values.tolist() == [["<b>x</b>", "¥30.00", "变差"]]
    assert at.selectbox(key="ov_week").value == "2026-W01"
    assert metrics(at)["被标记人数"] == "2"
    at.button(key="ov_current").click().run()
    assert calls[-1][1] == {"week": "2026-W02"}
    assert at.selectbox(key="ov_week").value == "2026-W02"


def test_the_in_progress_week_gives_no_verdict_and_leads_back_to_the_last_complete_week(
    sample_env, patch_view
):
    calls = patch_view(overview, model())
    at = open_page()
    assert at.subheader[0].value == "本周进行中：目前达标 1/3 人（周末结算）"
    assert not [f for f in at.dataframe if "与上周相比" in f.value.columns]
    at.button(key="ov_last").click().run()
    assert calls[-1][1] == {"week": "2026-W01"}


# -- on the real sample --------------------------------------------------------------------------
def test_smoke_the_overview_on_the_sample_shows_the_banner_metrics_and_the_as_of_date(sample_env):
    at = open_page()
    assert "示例数据" in at.info[0].value
    assert len(at.metric) == 6 and not at.exception
    assert isinstance(at.date_input(key="as_of").value, dt.date)
    assert at.get("plotly_chart") and frame(at, "连续未达标周数") is not None


def test_an_empty_store_explains_and_offers_the_sample_which_one_click_loads_and_clearing_asks_first(env):
    at = open_page()
    assert "还没有数据" in at.info[0].value
    at.button(key="load_sample").click().run()
    assert "示例数据" in at.info[0].value
    assert len(at.metric) == 6
    at.button(key="clear_sample").click().run()
    assert "示例数据" in at.info[0].value, "the first click only asks"
    assert at.button(key="clear_sample_yes").label == "确认清除示例数据"
    # Confirming inside the dialog reruns the dialog's fragment, which AppTest does not replay: the real-browser
    # test tests/browser/test_traps.py::test_clearing_the_sample_from_its_banner_asks_first clicks it.
