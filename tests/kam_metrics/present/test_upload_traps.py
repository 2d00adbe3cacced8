"""kam_metrics.present.upload for issue 10's traps: refused types, repeats, what an undo removes, money changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam_metrics.access.roles import LOCAL
from kam_metrics.engine import report
from kam_metrics.present import upload as page

LEADS = "报备时间,大客户经理,客户姓名,手机号\n2026-09-08 10:00,王伟,王先生,13812345678\n2026-09-09 10:00,王伟,李先生,13912345678\n"
VISITS = "到访时间,大客户经理,客户姓名,手机号,接待置业顾问\n2026-09-10 10:00,王伟,王先生,13812345678,孙丽\n"


@pytest.mark.parametrize("name", ["说明.pdf", "照片.png", "报备", "周报.xlsx.bak"])
def test_a_file_of_an_unsupported_type_is_refused_unread_naming_every_accepted_type(store, name):
    outcome = page.try_ingest(store, name, b"%PDF-1.4")
    assert (outcome.result, outcome.error_code) == (None, "type")
    assert page.unreadable_text(outcome, "zh") == (
        f"{name} 不是支持的文件类型，未读取。请上传 .xlsx .xlsm .xls .ods .csv .txt .tsv 文件"
        "（其他格式请用 Excel 另存为 .xlsx）。"
    )
    assert "not a supported file type" in page.unreadable_text(outcome, "en")
    assert store.uploads().empty


@pytest.mark.parametrize("name", ["a.XLSX", "b.xlsm", "c.xls", "d.ods", "e.csv", "f.txt", "g.tsv"])
def test_every_type_the_reader_takes_is_accepted(name):
    assert page.accepted(name)


def test_re_uploading_the_same_bytes_names_the_first_upload_and_that_nothing_changed(store):
    first = page.try_ingest(store, "报备.csv", LEADS.encode())
    assert first.repeat_of is None and page.repeat_text(first, "zh") is None
    again = page.try_ingest(store, "报备（再次）.csv", LEADS.encode())
    at = store.uploads().set_index("upload_id").loc[first.result.upload_id, "uploaded_at"]
    assert again.repeat_of == (first.result.upload_id, at)
    assert page.repeat_text(again, "zh") == (
        f"此文件已于 {at:%Y-%m-%d %H:%M:%S} 上传过（#{first.result.upload_id}），这次没有改变任何数据。"
    )


def test_a_repeat_names_the_earliest_upload_of_the_same_bytes_still_stored(store):
    first = page.try_ingest(store, "报备.csv", LEADS.encode())
    second = page.try_ingest(store, "报备.csv", LEADS.encode())
    store.undo(first.result.upload_id)
    third = page.try_ingest(store, "报备.csv", LEADS.encode())
    assert third.repeat_of[0] == second.result.upload_id
    assert page.new_rows(third.result) == 0
    assert page.repeat_text(third, "en").endswith("it changed nothing.")


def test_undo_names_the_rows_per_sheet_it_removes(store):
    leads = page.try_ingest(store, "报备.csv", LEADS.encode()).result
    visits = page.try_ingest(store, "带访.csv", VISITS.encode()).result
    assert page.stored_rows(store, leads.upload_id) == [("报备", "leads", 2)]
    assert page.removal_text(page.stored_rows(store, visits.upload_id), "zh") == "将移除：带访（带访）1 行。"
    assert page.removal_text([], "en") == "This upload stored no rows. "
    both = [("报备", "leads", 2), ("带访", "visits", 1)]
    assert page.removal_text(both, "zh") == "将移除：报备（报备）2 行、带访（带访）1 行。"


def test_the_money_change_of_an_upload_compares_the_totals_before_and_after(story, compute):
    before = {"fines": Decimal("100.00"), "commission": Decimal("0.00"), "flagged": 1}
    after = page.totals(compute())
    change = page.money_change(before, after)
    summary = compute().summary
    assert after["fines"] == sum(summary["fines_total"], Decimal("0.00"))
    assert change["fines"] == after["fines"] - Decimal("100.00")
    assert change["flagged"] == after["flagged"] - 1
    text = page.change_text({"fines": Decimal("658"), "commission": Decimal("-200.5"), "flagged": 1}, "zh")
    assert text == "本次上传使罚款 +¥658.00、佣金 -¥200.50、标记 +1"


def test_the_totals_of_no_results_are_zero():
    assert page.totals(None) == {"fines": Decimal("0.00"), "commission": Decimal("0.00"), "flagged": 0}


def test_the_view_lists_files_newest_first_and_opens_only_the_latest_round(store):
    a = page.try_ingest(store, "报备.csv", LEADS.encode())
    b = page.try_ingest(store, "带访.csv", VISITS.encode())
    c = page.try_ingest(store, "说明.pdf", b"x")
    a.batch, b.batch, c.batch = 1, 2, 2
    b.change = {"fines": Decimal("0"), "commission": Decimal("0"), "flagged": 0}
    view = page.view(report.compute(store), LOCAL, "zh", store.uploads(), [("a", a), ("b", b), ("c", c)])
    assert [(f.key, f.expanded) for f in view.files] == [("c", True), ("b", True), ("a", False)]
    assert view.files[1].title == f"#{b.result.upload_id} · 带访.csv"
    assert view.files[1].upload_id == b.result.upload_id
    assert view.files[1].change == "本次上传使罚款 +¥0.00、佣金 +¥0.00、标记 +0"
    assert view.upload_ids == [b.result.upload_id, a.result.upload_id]  # the undo pick starts at the newest
