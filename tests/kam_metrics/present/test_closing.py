"""kam_metrics.present.closing: what blocks a month's close, the frozen statement, adjustments, reopening."""

from __future__ import annotations

import pytest

from kam_metrics.access.roles import LOCAL, Refused, Viewer
from kam_metrics.ingest.closes import CloseRefused
from kam_metrics.present import closing, disputes
from tests.kam_metrics.present.conftest import PHONE

FINANCE = Viewer(login="fin", role="finance")
LI = Viewer(login="li", role="kam", kam="李娜")


@pytest.fixture
def october(story, upload, compute):
    """The story, and a registration on 2026-10-05 (another customer): as_of moves into October."""
    upload(
        "registrations",
        [{"registered_at": "2026-10-05 09:00", "customer_name": "钱七", "phone": "13700000001"}],
    )
    return compute()


def statement_of(view: closing.ClosingView, kam: str) -> dict:
    frame = view.chosen.statement
    return frame[frame["大客户经理"] == kam].iloc[0].to_dict()


def test_a_month_not_over_is_blocked_with_its_last_day_and_as_of(story, store):
    assert [e.code for e in closing.blockers(story, store, "2026-09")] == ["not_over"]
    view = closing.view(story, LOCAL, "zh", store=store, month="2026-09")
    assert view.chosen.blockers == ["2026-09 尚不能月结：其最后一天 2026-09-30 晚于截至日 2026-09-20"]
    assert not view.chosen.may_close


def test_an_earlier_open_month_and_an_open_dispute_block_and_are_all_listed(october, store):
    assert closing.blockers(october, store, "2026-09") == []
    assert [e.code for e in closing.blockers(october, store, "2026-10")] == ["not_over", "earlier_open"]
    unit = disputes.rows(october, LI, "unit", "zh")[0]
    dispute_id, _ = disputes.file_dispute(store, october, LI, unit, "valid", "x")
    refused = closing.blockers(october, store, "2026-09")
    assert [(e.code, e.values) for e in refused] == [
        ("dispute_open", {"month": "2026-09", "ids": f"#{dispute_id}"})
    ]
    with pytest.raises(CloseRefused) as raised:  # the store refuses with the same code
        closing.close(store, LOCAL, "2026-09")
    assert raised.value.code == "dispute_open"


def test_closing_freezes_the_month_and_a_later_change_lands_as_an_adjustment_with_its_reason(
    october, store, upload, compute
):
    view = closing.view(october, FINANCE, "zh", store=store, month="2026-09")
    assert view.chosen.may_close and statement_of(view, "王伟")["状态"] == "未月结（暂定）"
    made = closing.close(store, FINANCE, "2026-09")
    assert (made["month"], made["implicit"]) == ("2026-09", [])
    # A registration of 王伟's customer before his lead arrives later: his lead becomes an overlap, the deal of
    # 2026-09 is nobody's, and the 2,000 paid in 2026-09 comes back as an adjustment in 2026-10.
    upload(
        "registrations", [{"registered_at": "2026-09-07 08:00", "customer_name": "王建国", "phone": PHONE}]
    )
    after = compute()
    closed = closing.view(after, FINANCE, "zh", store=store, month="2026-09")
    assert closed.chosen.closed and closed.latest == "2026-09" and closed.open_month == "2026-10"
    assert {k: statement_of(closed, "王伟")[k] for k in ("佣金", "调整", "净额", "状态")} == {
        "佣金": "¥2,000.00",
        "调整": "¥0.00",
        "净额": "¥431.00",  # 2,000 − the frozen fines of its three weeks: 449 + 560 + 560
        "状态": "已月结（冻结）",
    }
    assert [e.code for e in closing.blockers(after, store, "2026-09")] == ["already_closed"]
    opened = closing.view(after, FINANCE, "zh", store=store, month="2026-10")
    adjustments = opened.chosen.adjustments
    commission = adjustments[adjustments["类别"] == "佣金"]
    assert commission[["大客户经理", "来源月份", "项目", "对净额的影响"]].values.tolist() == [
        ["王伟", "2026-09", "3栋1502 · 138****5678 · 2026-09-20", "-¥2,000.00"]
    ]
    assert (
        "3栋1502 · 138****5678 · 2026-09-20 在 2026-09 的佣金：已付 2,000.00，现为 0.00"
        in commission["原因"].iloc[0]
    )
    assert "13812345678" not in adjustments.to_csv()


def test_only_the_director_reopens_the_latest_closed_month_with_a_reason(october, store):
    closing.close(store, LOCAL, "2026-09")
    assert closing.view(october, FINANCE, "zh", store=store).may_reopen is False
    with pytest.raises(Refused):
        closing.reopen(store, FINANCE, "2026-09", "错了")
    with pytest.raises(CloseRefused) as refused:
        closing.reopen(store, LOCAL, "2026-09", " ")
    assert refused.value.code == "reason_required"
    assert closing.reopen(store, LOCAL, "2026-09", "补录成交") is None
    table = closing.closes_table(store, "zh")
    assert table[["月份", "冻结项"]].values.tolist() == [
        ["2026-09", 7]
    ]  # the deal line and three weeks' fines of each KAM
    assert table["状态"].iloc[0].endswith("由 local 重新打开：补录成交")
    assert closing.live_months(store) == []


def test_a_kam_has_no_close_page_and_may_not_close(october, store):
    with pytest.raises(Refused):
        closing.view(october, LI, "zh", store=store)
    with pytest.raises(Refused):
        closing.close(store, LI, "2026-09")
