"""app_pages/upload.py: uploading files, what each gave, the ledger, undo; hostile names stay text."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from kam_metrics.present import upload
from tests.app_pages.conftest import CSV_LEADS, HOSTILE, frame, is_literal, literal, open_page, shown_text

# A file name and rows whose texts Markdown or HTML would turn into links, images and markup.
HOSTILE_FILE = "**粗体**_[王伟](evil)_<b>x</b>.csv"
HOSTILE_CSV = (
    "报备时间,大客户经理,客户姓名,手机号\n"
    f"2026-09-08 10:00,{HOSTILE[1]},{HOSTILE[0]},13812345678\n"
    f"2026-09-08 11:00,{HOSTILE[2]},李先生,139123\n"
)


def test_an_upload_shows_its_summary_counts_and_rejected_rows_and_is_stored_once(env):
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
    assert literal(at.error[0].value).startswith("无法读取 坏文件.xlsx：")
    assert frame(at, "上传时间")["文件"].tolist() == ["报备.csv"]


def test_undo_an_upload_only_after_confirming(env):
    at = open_page("upload")
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    at.button(key="upload_undo").click().run()
    assert literal(at.warning[0].value).startswith("确定撤销 #1 · 报备.csv · ")
    at.button(key="upload_undo_no").click().run()
    assert len(frame(at, "上传时间")) == 1
    at.button(key="upload_undo").click().run()
    at.button(key="upload_undo_yes").click().run()
    assert literal(at.success[0].value) == "已撤销上传 #1"
    assert at.caption[-1].value == "还没有上传记录。"


def test_hostile_file_kam_and_customer_names_uploaded_are_shown_as_text(env):
    at = open_page("upload")
    at.file_uploader(key="upload_files").upload(HOSTILE_FILE, HOSTILE_CSV.encode(), "text/csv").run()
    assert not at.exception, at.exception
    summary = next(m.value for m in at.markdown if HOSTILE_FILE[:2] in literal(m.value))
    assert is_literal(summary, HOSTILE_FILE)
    assert frame(at, "上传时间")["文件"].tolist() == [HOSTILE_FILE]
    at.button(key="upload_undo").click().run()
    assert is_literal(at.warning[0].value, HOSTILE_FILE)
    # The rows themselves reach the tables as they are (tables do not read Markdown).
    raw = frame(at, "原始内容")["原始内容"].iloc[0]
    assert HOSTILE[2] in raw


def test_each_files_outcome_of_the_view_is_laid_out_in_order(env, patch_view):
    shown = upload.FileShown(
        key="a",
        summary=f"{HOSTILE[0]}：1 张表",
        title=f"#1 · {HOSTILE[0]}",
        upload_id=1,
        repeat=f"此文件已于 2026-11-27 06:15:02 上传过（#1），这次没有改变任何数据。{HOSTILE[2]}",
        change="本次上传使罚款 +¥0.00、佣金 +¥0.00、标记 +0",
        counts=pd.DataFrame({"工作表": [HOSTILE[2]], "读取": [1]}),
        notes=[f"忽略工作表 {HOSTILE[1]}"],
    )
    failed = upload.FileShown(key="b", error=f"无法读取 {HOSTILE[1]}：坏")
    patch_view(
        upload,
        upload.UploadView(
            files=[shown, failed],
            ledger=pd.DataFrame(),
            upload_ids=[1],
            upload_labels={1: f"#1 · {HOSTILE[0]} · 2026-11-27 06:15:02"},
            rejected=pd.DataFrame(),
        ),
    )
    at = open_page("upload")
    card = at.expander[0]
    assert is_literal(card.label, shown.title)
    assert is_literal(card.markdown[0].value, shown.summary)
    assert is_literal(card.info[0].value, shown.repeat)
    assert literal(card.markdown[1].value) == shown.change
    assert frame(at, "工作表")["工作表"].tolist() == [HOSTILE[2]]
    assert is_literal(card.caption[0].value, shown.notes[0])
    assert is_literal(at.error[0].value, failed.error)
    # The card's own undo asks first, naming the upload, inside the card.
    at.button(key="upload_undo_a").click().run()
    assert is_literal(at.expander[0].warning[0].value, "#1 · " + HOSTILE[0])


def test_an_upload_that_moves_the_data_date_computes_the_results_once_at_the_new_date(env, monkeypatch):
    from kam_metrics.engine import report

    at = open_page("upload")
    at.file_uploader(key="upload_files").upload("报备.csv", CSV_LEADS.encode(), "text/csv").run()
    at.run()
    assert at.date_input(key="as_of").value == dt.date(2026, 9, 8)
    computed = []
    compute = report.compute

    def counting(store, rules, as_of=None):
        computed.append(as_of)
        return compute(store, rules, as_of)

    monkeypatch.setattr(report, "compute", counting)
    later = "报备时间,大客户经理,客户姓名,手机号\n2026-12-20 10:00,王伟,王先生,13812345679\n"
    at.file_uploader(key="upload_files").upload("报备2.csv", later.encode(), "text/csv").run()
    assert not at.exception, at.exception
    # One Results for the new store version at its own data date; none at the sidebar's old date.
    assert computed == [None]
    assert "报备2.csv：1 张表，读取 1 行，接收 1 行" in shown_text(at)
    at.run()
    assert at.date_input(key="as_of").value == dt.date(2026, 12, 20)
    assert computed == [None]
