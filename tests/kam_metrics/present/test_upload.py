"""kam_metrics.present.upload: an uploaded file's outcome, the ledger and the page's view."""

from __future__ import annotations

from kam_metrics.access.roles import LOCAL
from kam_metrics.present import upload as page
from tests.kam_metrics.present.conftest import PHONE, column


def test_try_ingest_reports_an_unreadable_file_by_name_and_stores_nothing(store):
    outcome = page.try_ingest(store, "周报.xlsx", b"this is not a workbook")
    assert outcome.result is None
    assert outcome.error_code is not None
    text = page.unreadable_text(outcome, "zh")
    assert text.startswith("无法读取 周报.xlsx：")
    assert store.uploads().empty


def test_an_uploaded_csv_shows_its_counts_and_rejected_rows_with_masked_raw_values(store):
    data = "报备时间,大客户经理,客户姓名,手机号\n2026-09-08 10:00,王伟,王先生,13812345678\n,王伟,李先生,13912345678\n"
    outcome = page.try_ingest(store, "报备.csv", data.encode("utf-8"))
    result = outcome.result
    counts = page.sheet_counts(result, "zh")
    assert list(counts.columns) == [
        "工作表",
        "识别为",
        "读取",
        "接收",
        "其中重复",
        "其中被取代",
        "拒收",
        "警告",
    ]
    assert counts.iloc[0].tolist() == ["报备", "报备", 2, 1, 0, 0, 1, 0]
    rejected = page.upload_rejected(result, "zh")
    assert column(rejected, "行号") == [3]
    assert "报备时间" in rejected["原因"].iloc[0]
    assert "139****5678" in rejected["原始内容"].iloc[0] and "13912345678" not in rejected["原始内容"].iloc[0]
    assert page.upload_summary(result, "en").startswith("报备.csv: 1 sheets, 2 rows read, 1 accepted")
    assert page.upload_summary(result, "en").endswith("; data date 2026-09-08")


def test_the_card_counts_a_deal_row_that_loses_to_a_later_cancellation_as_superseded(store):
    header = "成交日期,客户姓名,手机号,房号,成交金额,置业顾问,置业顾问佣金,状态,退房日期\n"
    signed = "2026-09-10,王先生,13812345678,1-101,1000000,李销售,4000,,\n"
    cancelled = "2026-09-10,王先生,13812345678,1-101,1000000,李销售,4000,退房,2026-09-20\n"
    page.try_ingest(store, "成交.csv", (header + cancelled).encode("utf-8"))
    older = page.try_ingest(store, "成交-旧.csv", (header + signed).encode("utf-8")).result
    # SPEC §2: the older export's data date (09-10) is before the stored cancellation's (09-20): its row loses
    assert page.sheet_counts(older, "en")["of which superseded"].tolist() == [1]
    assert page.upload_summary(older, "zh").endswith("；数据日期 2026-09-10")


def test_ledger_lists_uploads_newest_first_with_their_counts(store, upload):
    upload("leads", [{"reported_at": "2026-09-08", "kam": "王伟", "phone": PHONE}])
    # not the same file (that would be a repeat): the stored lead again, and a new one
    upload(
        "leads",
        [
            {"reported_at": "2026-09-08", "kam": "王伟", "phone": PHONE},
            {"reported_at": "2026-09-09", "kam": "王伟", "phone": PHONE},
        ],
    )
    shown = page.ledger(store.uploads(), "en")
    assert column(shown, "No.") == [2, 1]
    assert column(shown, "of which duplicates") == [1, 0]
    assert page.upload_label(store.uploads(), 1).startswith("#1 · 报备.csv · ")


def test_the_upload_view_shows_each_files_outcome_and_the_ledger_with_undo_labels(store):
    data = "报备时间,大客户经理,客户姓名,手机号\n2026-09-08 10:00,王伟,王先生,13812345678\n,王伟,李先生,139\n"
    good = page.try_ingest(store, "报备.csv", data.encode("utf-8"))
    bad = page.try_ingest(store, "坏.xlsx", b"not a workbook")
    shown = page.view(None, LOCAL, "zh", uploads=store.uploads(), outcomes=[("a", good), ("b", bad)])
    second, first = shown.files  # newest first
    assert (first.key, first.error, first.summary) == ("a", None, page.upload_summary(good.result, "zh"))
    assert first.counts.iloc[0].tolist() == ["报备", "报备", 2, 1, 0, 0, 1, 0]
    assert first.rejected["行号"].tolist() == [3] and first.warnings is None
    assert second.error.startswith("无法读取 坏.xlsx：") and second.counts is None
    assert shown.upload_ids == [1]
    assert shown.upload_labels[1].startswith("#1 · 报备.csv · ")
    assert shown.ledger["文件"].tolist() == ["报备.csv"]
    assert shown.rejected.empty  # no results given


def test_the_upload_view_of_an_empty_store_has_no_ledger(store):
    shown = page.view(None, LOCAL, "en", uploads=store.uploads())
    assert (shown.files, shown.upload_ids, shown.ledger.empty) == ([], [], True)
