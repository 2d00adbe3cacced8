"""app_pages/commissions.py: totals, the statement, the deal lines and both workbook downloads."""

from __future__ import annotations

import pandas as pd

from kam_metrics.present import commissions
from tests.app_pages.conftest import FULL_PHONE, HOSTILE, frame, is_literal, metrics, open_page, shown_text


def model(kam: str | None = None) -> commissions.CommissionsView:
    lines = pd.DataFrame({"月份": ["2026-01"], "大客户经理": ["甲"], "房号": ["1栋101"], "原因": [""]})
    return commissions.CommissionsView(
        months=["2025-12", "2026-01"],
        kams=["甲", HOSTILE[1]],
        month="2026-01",
        month_title="2026-01",
        kam=kam,
        totals={"commission": "¥1.00", "clawback": "¥2.00", "fines": "¥3.00", "net": "-¥4.00"},
        statement=pd.DataFrame({"大客户经理": ["甲"], "净额": ["-¥4.00"]}),
        lines=lines,
        line_columns=["大客户经理", "房号", "原因"],
        line_widths={"月份": 80, "大客户经理": 90, "房号": 90, "原因": 300},
        reconcile={"lines": "-¥1.00", "commission": "¥1.00", "clawback": "¥2.00"},
        as_of="2026-01-31",
    )


def test_the_commissions_page_shows_the_totals_statement_and_lines_of_the_view(sample_env, patch_view):
    calls = patch_view(commissions, model())
    at = open_page("commissions")
    assert metrics(at) == {"佣金": "¥1.00", "追回": "¥2.00", "罚款": "¥3.00", "净额": "-¥4.00"}
    assert frame(at, "净额").values.tolist() == [["甲", "-¥4.00"]]
    assert frame(at, "房号")["房号"].tolist() == ["1栋101"]
    assert at.selectbox(key="month").options == ["全部月份", "2025-12", "2026-01"]
    assert calls[-1][1] == {"month": None, "kam": None}
    buttons = at.get("download_button")
    assert len(buttons) == 2
    assert at.caption[-1].value == "大客户经理佣金合计 -¥1.00 = 佣金 ¥1.00 − 追回 ¥2.00"


def test_picks_of_month_and_kam_go_to_the_view_and_a_hostile_kam_name_is_text_on_the_button(
    sample_env, patch_view
):
    calls = patch_view(commissions, model(kam=HOSTILE[1]))
    at = open_page("commissions")
    at.selectbox(key="month").select(commissions.ALL).run()
    at.selectbox(key="kam").select(HOSTILE[1]).run()
    assert calls[-1][1] == {"month": commissions.ALL, "kam": HOSTILE[1]}
    label = at.get("download_button")[1].proto.label
    assert is_literal(label, HOSTILE[1])


# -- on the real sample --------------------------------------------------------------------------
def test_smoke_the_commissions_page_on_the_sample_masks_phones_and_offers_both_workbooks(sample_env):
    at = open_page("commissions")
    assert set(metrics(at)) == {"佣金", "追回", "罚款", "净额"}
    assert not FULL_PHONE.search(shown_text(at))
    # the full workbook, the picked KAM's workbook (none picked yet) and the month's 结算单 of every KAM
    keys = [b.key for b in at.get("download_button")]
    assert keys == ["download_all", "download_kam", "download_pdf_month"]


def test_a_picked_kam_and_month_offer_that_kams_statement_pdf(sample_env):
    at = open_page("commissions")
    month = at.selectbox(key="month").value
    kam = next(k for k in at.selectbox(key="kam").options if k != at.selectbox(key="kam").options[0])
    at.selectbox(key="kam").select(kam).run()
    keys = [b.key for b in at.get("download_button")]
    assert keys == ["download_all", "download_kam", "download_pdf_kam", "download_pdf_month"]
    assert at.get("download_button")[2].proto.label.replace("\\", "") == f"下载结算单 PDF（{kam}，{month}）"
