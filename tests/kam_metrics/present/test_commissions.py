"""kam_metrics.present.commissions: the monthly statement and the deal lines."""

from __future__ import annotations

from decimal import Decimal

from kam_metrics.present import commissions


def test_statement_table_shows_each_kams_month_in_yuan(story):
    assert commissions.months(story) == ["2026-09"]
    table = commissions.statement_table(story, "2026-09", "zh")
    assert table.values.tolist() == [
        ["王伟", "一组", "¥2,000.00", "¥0.00", "¥1,009.00", "¥991.00"],
        ["李娜", "二组", "¥0.00", "¥0.00", "¥1,120.00", "-¥1,120.00"],
    ]
    assert commissions.statement_totals(story, None)["net"] == Decimal("-129.00")


def test_deal_lines_mask_phones_and_use_words_for_type_and_line(story):
    lines = commissions.deal_lines(story, "en", kam="王伟")
    row = lines.iloc[0]
    assert (row["Phone"], row["Type"], row["Line"], row["KAM commission"]) == (
        "138****5678",
        "visit deal",
        "commission",
        "¥2,000.00",
    )
    assert commissions.deal_lines(story, "en", kam="李娜").empty


def test_the_commissions_view_opens_the_latest_month_and_hides_its_column_in_the_lines(story):
    shown = commissions.view(story, "zh")
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
    shown = commissions.view(story, "en", month=commissions.ALL, kam="李娜")
    assert (shown.month, shown.month_title, shown.kam) == (None, "All months", "李娜")
    assert shown.lines.empty
    assert shown.line_columns[0] == "Month"
    assert commissions.view(story, "en", kam="无此人").kam is None
