"""kam_metrics.present.commissions: the monthly statement and the deal lines."""

from __future__ import annotations

from decimal import Decimal

from kam_metrics.access.roles import LOCAL
from kam_metrics.present import commissions


def test_statement_table_shows_each_kams_month_in_yuan(story):
    assert commissions.months(story) == ["2026-09"]
    table = commissions.statement_table(story, LOCAL, "2026-09", "zh")
    assert table.values.tolist() == [
        ["王伟", "一组", "¥2,000.00", "¥0.00", "¥1,009.00", "¥991.00"],
        ["小计", "一组", "¥2,000.00", "¥0.00", "¥1,009.00", "¥991.00"],
        ["李娜", "二组", "¥0.00", "¥0.00", "¥1,120.00", "-¥1,120.00"],
        ["小计", "二组", "¥0.00", "¥0.00", "¥1,120.00", "-¥1,120.00"],
        ["合计", "", "¥2,000.00", "¥0.00", "¥2,129.00", "-¥129.00"],
    ]
    assert commissions.statement_table(story, LOCAL, "2026-09", "zh", kam="李娜").values.tolist() == [
        ["李娜", "二组", "¥0.00", "¥0.00", "¥1,120.00", "-¥1,120.00"]
    ]
    assert commissions.statement_totals(story, LOCAL, None)["net"] == Decimal("-129.00")


def test_deal_lines_mask_phones_and_use_words_for_type_and_line(story):
    lines = commissions.deal_lines(story, LOCAL, "en", kam="王伟")
    row = lines.iloc[0]
    assert (row["Phone"], row["Type"], row["Line"], row["KAM commission"]) == (
        "138****5678",
        "visit deal",
        "commission",
        "¥2,000.00",
    )
    assert lines.iloc[-1][["KAM", "KAM commission", "Salesperson commission"]].tolist() == [
        "Total",
        "¥2,000.00",
        "¥4,000.00",
    ]
    assert commissions.deal_lines(story, LOCAL, "en", kam="李娜").empty


def test_choosing_a_kam_filters_the_cards_and_the_statement_not_only_the_lines(story):
    shown = commissions.view(story, LOCAL, "zh", kam="李娜")
    assert shown.totals == {
        "commission": "¥0.00",
        "clawback": "¥0.00",
        "fines": "¥1,120.00",
        "net": "-¥1,120.00",
    }
    assert shown.statement["大客户经理"].tolist() == ["李娜"]
    team = commissions.view(story, LOCAL, "zh")
    assert team.totals["net"] == "-¥129.00"
    assert team.reconcile == {"lines": "¥2,000.00", "commission": "¥2,000.00", "clawback": "¥0.00"}


def test_a_clawback_line_shows_its_cancellation_date_and_the_total_row_reconciles(story, upload, compute):
    upload(
        "deals",
        [
            {
                "signed_at": "2026-09-20",
                "customer_name": "王建国",
                "phone": "13812345678",
                "property": "3栋1502",
                "amount": "2680000",
                "salesperson": "孙丽",
                "salesperson_commission": "4000",
                "status": "退房",
                "cancelled_at": "2026-10-03",
            }
        ],
    )
    results = compute()
    lines = commissions.deal_lines(results, LOCAL, "zh", kam="王伟")
    claw = lines[lines["行类型"] == "追回"]
    assert claw[["房号", "大客户经理佣金", "退房日期"]].values.tolist() == [
        ["3栋1502", "-¥2,000.00", "2026-10-03"]
    ]
    assert lines[lines["行类型"] == "佣金"]["退房日期"].tolist() == [""]
    # Over all months: lines' KAM commission = the statement's commission − clawback; 置业顾问佣金 counted once.
    total = lines.iloc[-1]
    assert total[["大客户经理", "大客户经理佣金", "置业顾问佣金", "置业顾问净佣金"]].tolist() == [
        "合计",
        "¥0.00",
        "¥4,000.00",
        "¥0.00",
    ]
    shown = commissions.view(results, LOCAL, "zh", month=commissions.ALL, kam="王伟")
    assert shown.reconcile == {"lines": "¥0.00", "commission": "¥2,000.00", "clawback": "¥2,000.00"}
    widths = shown.line_widths
    assert widths["原因"] >= 26 + 14 * 2 and widths["大客户经理佣金"] == 26 + 14 * 7


def test_the_commissions_view_opens_the_latest_month_and_hides_its_column_in_the_lines(story):
    shown = commissions.view(story, LOCAL, "zh")
    assert (shown.months, shown.month, shown.month_title, shown.kam) == (
        ["2026-09"],
        "2026-09",
        "2026-09",
        None,
    )
    assert shown.totals == {
        "commission": "¥2,000.00",
        "clawback": "¥0.00",
        "fines": "¥2,129.00",
        "net": "-¥129.00",
    }
    assert "月份" not in shown.line_columns and "月份" in shown.lines.columns
    assert shown.as_of == "2026-09-20"


def test_the_commissions_view_of_all_months_and_one_kam(story):
    shown = commissions.view(story, LOCAL, "en", month=commissions.ALL, kam="李娜")
    assert (shown.month, shown.month_title, shown.kam) == (None, "All months", "李娜")
    assert shown.lines.empty
    assert shown.line_columns[0] == "Month"
    assert commissions.view(story, LOCAL, "en", kam="无此人").kam is None
