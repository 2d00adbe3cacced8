"""app_pages/upload.py and app_pages/rules.py against issue 10's traps (AppTest on a real store)."""

from __future__ import annotations

from kam_metrics.ingest.store import Store
from tests.app_pages.conftest import CSV_LEADS, frame, literal, open_page

VISITS = "到访时间,大客户经理,客户姓名,手机号,接待置业顾问\n2026-09-10 10:00,王伟,王先生,13812345678,孙丽\n"


def _ledger_files(at) -> list[str]:
    return frame(at, "上传时间")["文件"].tolist()


def test_the_undo_pick_moves_to_the_newest_upload_and_undo_removes_that_one(env):
    at = open_page("upload")
    uploader = at.file_uploader(key="upload_files")
    uploader.upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    assert at.selectbox(key="upload_undo_pick").value == 1
    at.file_uploader(key="upload_files").upload("带访.csv", VISITS.encode(), "text/csv").run()
    assert at.selectbox(key="upload_undo_pick").value == 2
    at.button(key="upload_undo").click().run()
    assert literal(at.warning[0].value).startswith("确定撤销 #2 · 带访.csv · ")
    assert "将移除：带访（带访）1 行。" in literal(at.warning[0].value)
    at.button(key="upload_undo_yes").click().run()
    assert _ledger_files(at) == ["报备.csv"]


def test_a_real_file_onto_the_sample_is_not_stored_until_the_director_chooses(sample_env):
    at = open_page("upload")
    before = len(frame(at, "上传时间"))
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    assert literal(at.warning[0].value).startswith("当前库中是内置示例数据")
    assert len(frame(at, "上传时间")) == before
    at.button(key="upload_keep_sample").click().run()
    assert len(frame(at, "上传时间")) == before + 1  # both, on an explicit choice


def test_clearing_the_sample_before_a_real_upload_leaves_only_the_real_file(sample_env):
    at = open_page("upload")
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    at.button(key="upload_clear_sample").click().run()
    assert _ledger_files(at) == ["报备.csv"]


def test_clear_all_data_is_enabled_only_by_the_typed_word(env):
    at = open_page("upload")
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    assert at.button(key="clear_all").disabled
    at.text_input(key="clear_all_word").input("清除").run()
    assert at.button(key="clear_all").disabled
    at.text_input(key="clear_all_word").input("清空").run()
    at.button(key="clear_all").click().run()
    assert literal(at.success[0].value) == "已清空全部数据。"
    assert "还没有上传记录。" in [c.value for c in at.caption]
    store = Store(env / "kam.duckdb")
    try:
        assert store.uploads().empty  # and the file the uploader still holds was not stored again
    finally:
        store.close()


def test_the_rules_form_after_another_page_shows_the_stored_rules_and_nothing_to_save(sample_env):
    at = open_page("rules")
    assert at.number_input(key="rules_targets_units").value == 3
    at.switch_page("app_pages/upload.py").run()
    at.switch_page("app_pages/rules.py").run()
    assert at.number_input(key="rules_targets_units").value == 3
    assert at.number_input(key="rules_fines_units").value == 100.0
    assert not at.error
    assert at.button(key="rules_save").disabled
