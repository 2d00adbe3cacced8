"""Every dashboard page run through streamlit.testing.v1.AppTest on the bundled sample data (and an empty store)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kam_metrics.ingest.store import Store
from kam_metrics.present import sample

APP = "../../app.py"  # AppTest paths are relative to this file
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CSV_LEADS = "报备时间,大客户经理,客户姓名,手机号\n2026-09-08 10:00,王伟,王先生,13812345678\n2026-09-08 11:00,王伟,李先生,139123\n"


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> Path:
    """A store holding the bundled sample, built once; tests work on copies of its file."""
    folder = tmp_path_factory.mktemp("sample-store")
    store = Store(folder / "kam.duckdb")
    sample.load_sample(store)
    store.close()
    return folder


@pytest.fixture
def env(tmp_path, monkeypatch) -> Path:
    """An empty store and no rules file, with Streamlit's caches cleared."""
    monkeypatch.setenv("KAM_DB", str(tmp_path / "kam.duckdb"))
    monkeypatch.setenv("KAM_RULES", str(tmp_path / "rules.toml"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def sample_env(env, sample_store) -> Path:
    shutil.copy(sample_store / "kam.duckdb", env / "kam.duckdb")
    return env


def open_page(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    if page:
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, at.exception
    return at


def frame(at: AppTest, column: str):
    """The first shown table with this column header (AppTest does not expose a table's key)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_text(at: AppTest) -> str:
    parts = [str(df.value.to_csv()) for df in at.dataframe]
    parts += [e.value for e in (*at.markdown, *at.info, *at.caption, *at.subheader)]
    return "\n".join(parts)


# -- every page on the sample --------------------------------------------------------------------
def test_overview_shows_the_weeks_team_figures_and_the_flagged_kams(sample_env):
    at = open_page()
    assert at.title[0].value == "总览"
    assert "示例数据" in at.info[0].value
    shown = metrics(at)
    assert shown["拓展单位"] == "12 / 21"
    assert shown["2026-11 月佣金"] == "¥22,650.00"
    assert shown["被标记人数"] == "2"
    assert frame(at, "连续未达标周数")["大客户经理"].tolist() == ["张强", "刘洋"]
    assert at.date_input(key="as_of").value.isoformat() == "2026-11-25"


def test_switching_to_english_changes_titles_metrics_and_table_headers(sample_env):
    at = open_page()
    at.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "Overview"
    assert metrics(at)["Units"] == "12 / 21"
    assert list(frame(at, "Missed streak").columns) == ["KAM", "Team", "Flag", "Missed streak"]
    assert frame(at, "Missed streak")["Flag"].tolist() == ["dismissal review", "warning"]


def test_team_filter_limits_the_overview_to_that_team(sample_env):
    at = open_page()
    at.selectbox(key="team").select("二组").run()
    assert metrics(at)["被标记人数"] == "0"


def test_weekly_link_with_kam_and_week_opens_that_kam_week(sample_env):
    at = open_page("weekly", kam="张强", week="2026-W45")
    shown = metrics(at)
    assert (shown["本周结果"], shown["罚款"], shown["标记"]) == ("未达标", "¥240.00", "预警")
    leads = frame(at, "报备时间")
    assert list(leads.columns) == ["报备时间", "手机号", "客户姓名", "状态", "说明"]
    assert set(leads["状态"]) <= {"有效", "已在案场登记", "重复报备", "他人已报备"}
    assert not FULL_PHONE.search(shown_text(at))


def test_a_click_on_the_weekly_grid_opens_that_kam_week(sample_env):
    from streamlit.elements.plotly_chart import PlotlyState

    at = open_page("weekly")
    assert "点击一格" in at.info[-1].value
    at.session_state["weekly_heatmap"] = PlotlyState(
        selection={"points": [{"x": "2026-W40", "y": "刘洋"}], "point_indices": [0], "box": [], "lasso": []}
    )
    at.run()
    assert (at.selectbox(key="kam").value, at.selectbox(key="week").value) == ("刘洋", "2026-W40")
    assert metrics(at)["本周结果"] == "达标"


def test_attribution_link_tells_the_customers_story_with_the_claim_holder(sample_env):
    at = open_page("attribution", phone="13007199725")
    assert at.subheader[0].value == "130****9725 · 王秀英"
    assert "归属：杨帆" in at.info[-1].value
    story = frame(at, "事件")
    assert story[["事件", "大客户经理", "状态"]].values.tolist() == [["报备", "杨帆", "有效"]]
    assert at.get("plotly_chart")


def test_attribution_search_by_name_offers_masked_customers_and_the_pick_goes_to_the_url(sample_env):
    at = open_page("attribution")
    at.text_input(key="attr_query").input("王").run()
    pick = at.selectbox(key="attr_match")
    assert len(pick.options) > 1
    assert all("****" in label for label in pick.options)
    assert not FULL_PHONE.search(shown_text(at))
    pick.select_index(0).run()
    phone = at.query_params["phone"]
    assert FULL_PHONE.fullmatch(phone[0] if isinstance(phone, list) else phone)
    assert "归属" in at.info[-1].value or "没有大客户经理" in at.info[-1].value


def test_commissions_show_the_months_statement_and_offer_both_workbooks(sample_env):
    at = open_page("commissions")
    assert at.selectbox(key="month").value == "2026-11"
    statement = frame(at, "净额")
    row = statement[statement["大客户经理"] == "刘洋"].iloc[0]
    assert (row["佣金"], row["罚款"], row["净额"]) == ("¥7,500.00", "¥290.00", "¥7,210.00")
    assert metrics(at)["佣金"] == "¥22,650.00"
    lines = frame(at, "房号")
    assert set(lines["类型"]) <= {"带访成交", "号码成交", "无归属"}
    assert not FULL_PHONE.search(shown_text(at))
    buttons = at.get("download_button")
    assert len(buttons) == 2
    at.selectbox(key="kam").select("刘洋").run()
    assert set(frame(at, "房号")["大客户经理"]) == {"刘洋"}


def test_full_and_one_kam_workbooks_are_written_from_the_shown_results(sample_env):
    from io import BytesIO

    from openpyxl import load_workbook

    from kam_metrics.engine import report

    res = report.compute(Store(sample_env / "kam.duckdb"))
    from dashboard import state

    book = load_workbook(BytesIO(state.workbook_bytes(res, "zh", kam="刘洋")), read_only=True)
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert [r[0] for r in summary[1:]] == ["刘洋"]


# -- uploads -------------------------------------------------------------------------------------
def test_empty_store_pages_explain_and_offer_the_sample(env):
    at = open_page()
    assert "还没有数据" in at.info[0].value
    assert at.button(key="load_sample").label == "加载示例数据"


def test_one_click_loads_the_sample_which_the_app_then_names_and_can_clear(env):
    at = open_page()
    at.button(key="load_sample").click().run()
    assert "示例数据" in at.info[0].value
    assert metrics(at)["拓展单位"] == "12 / 21"
    at.button(key="clear_sample").click().run()
    assert "还没有数据" in at.info[0].value


def test_upload_shows_counts_and_rejected_rows_and_does_not_store_the_file_twice(env):
    at = open_page("upload")
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    assert not at.exception, at.exception
    assert "报备.csv：1 张表，读取 2 行，接收 1 行（其中重复 0 行），拒收 1 行，警告 0 条" in shown_text(at)
    assert "不是有效的大陆手机号" in frame(at, "原始内容")["原因"].iloc[0]
    at.run()
    assert len(frame(at, "上传时间")) == 1


def test_an_unreadable_file_gets_one_error_line_and_the_other_files_are_stored(env):
    at = open_page("upload")
    uploader = at.file_uploader(key="upload_files")
    uploader.upload("坏文件.xlsx", b"not a workbook at all", "application/octet-stream")
    uploader.upload("报备.csv", CSV_LEADS.encode(), "text/csv")
    at.run()
    assert [e.value for e in at.error][0].startswith("无法读取 坏文件.xlsx：")
    assert frame(at, "上传时间")["文件"].tolist() == ["报备.csv"]


def test_undo_an_upload_only_after_confirming(env):
    at = open_page("upload")
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    at.button(key="upload_undo").click().run()
    assert "确定撤销 #1" in at.warning[0].value
    at.button(key="upload_undo_no").click().run()
    assert len(frame(at, "上传时间")) == 1
    at.button(key="upload_undo").click().run()
    at.button(key="upload_undo_yes").click().run()
    assert "已撤销上传 #1" in at.success[0].value
    assert "还没有上传记录" in at.caption[-1].value


# -- rules ---------------------------------------------------------------------------------------
def test_a_bad_rule_value_shows_an_error_naming_the_key_and_cannot_be_saved(sample_env):
    at = open_page("rules")
    at.number_input(key="rules_targets_units").set_value(-1).run()
    assert any("targets.units" in e.value for e in at.error)
    assert at.button(key="rules_save").disabled


def test_rules_what_if_compares_every_kam_and_saving_writes_the_rules_file(sample_env):
    at = open_page("rules")
    at.number_input(key="rules_targets_units").set_value(5).run()
    changes = frame(at, "修改后")
    assert changes.values.tolist() == [["拓展单位目标 (targets.units)", "3", "5"]]
    whatif = frame(at, "罚款变化")
    assert len(whatif) == 8
    row = whatif[whatif["大客户经理"] == "刘洋"].iloc[0]
    assert row["罚款（当前）"] != row["罚款（修改后）"]
    at.button(key="rules_save").click().run()
    assert "units = 5" in (sample_env / "rules.toml").read_text(encoding="utf-8")
    assert "规则已保存" in at.success[0].value
