"""kam_metrics.views: what the pages show, checked on a small real store (two KAMs, one customer story)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from kam_metrics.contract.rules import Rules, RulesError
from kam_metrics.present import views

PHONE = "13812345678"
OVERLAP_PHONE = "13900000003"


@pytest.fixture
def story(upload, compute):
    """王伟 (一组) wins 138…5678, brings the customer and the deal follows; 李娜 (二组) is refused twice."""
    upload(
        "roster",
        [
            {"kam": "王伟", "team": "一组", "start_date": "2026-09-01"},
            {"kam": "李娜", "team": "二组", "start_date": "2026-09-01"},
        ],
    )
    upload(
        "registrations",
        [
            {
                "registered_at": "2026-09-07 09:00",
                "customer_name": "赵敏",
                "phone": OVERLAP_PHONE,
                "salesperson": "孙丽",
            }
        ],
    )
    upload(
        "leads",
        [
            {"reported_at": "2026-09-08 10:00", "kam": "王伟", "customer_name": "王先生", "phone": PHONE},
            {"reported_at": "2026-09-09 11:00", "kam": "李娜", "customer_name": "王建国", "phone": PHONE},
            {
                "reported_at": "2026-09-08 12:00",
                "kam": "李娜",
                "customer_name": "赵女士",
                "phone": OVERLAP_PHONE,
            },
        ],
    )
    upload(
        "visits",
        [
            {
                "visited_at": "2026-09-10 15:00",
                "kam": "王伟",
                "customer_name": "王建国",
                "phone": PHONE,
                "party_size": "3",
                "salesperson": "孙丽",
            }
        ],
    )
    upload(
        "units",
        [
            {"date": "2026-09-08", "kam": "王伟", "unit_name": "华为技术有限公司", "photo": "a.jpg"},
            {"date": "2026-09-09", "kam": "李娜", "unit_name": "华为 技术有限公司", "photo": "b.jpg"},
        ],
    )
    upload(
        "deals",
        [
            {
                "signed_at": "2026-09-20",
                "customer_name": "王建国",
                "phone": PHONE,
                "property": "3栋1502",
                "amount": "2680000",
                "salesperson": "孙丽",
                "salesperson_commission": "4000",
            }
        ],
    )
    return compute()


def column(frame: pd.DataFrame, header: str) -> list:
    return frame[header].tolist()


# -- formatting ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("phone", "shown"),
    [("13812345678", "138****5678"), ("1381234", "1381234"), (None, ""), ("", "")],
)
def test_mask_phone_hides_the_middle_four_digits_of_a_mobile_number(phone, shown):
    assert views.mask_phone(phone) == shown


def test_mask_text_masks_every_mobile_number_inside_free_text():
    assert views.mask_text("手机号=13812345678; 备用 15900001111") == "手机号=138****5678; 备用 159****1111"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234"), "¥1,234.00"),
        (Decimal("-2250.5"), "-¥2,250.50"),
        (Decimal("0"), "¥0.00"),
        (None, ""),
    ],
)
def test_money_is_yuan_with_thousands_and_two_decimals(value, shown):
    assert views.money(value) == shown


def test_dates_are_iso_and_date_only_stamps_show_no_time():
    assert views.day(dt.date(2026, 9, 8)) == "2026-09-08"
    assert views.stamp(pd.Timestamp("2026-09-08 10:15")) == "2026-09-08 10:15"
    assert views.stamp(pd.Timestamp("2026-09-08 10:15:07")) == "2026-09-08 10:15:07"
    assert views.stamp(pd.Timestamp("2026-09-08"), date_only=True) == "2026-09-08"
    assert views.stamp(pd.Timestamp("2026-09-08 10:15"), seconds=True) == "2026-09-08 10:15:00"


# -- sample data and uploads ---------------------------------------------------------------------
def _sample_folder(tmp_path):
    """Two small workbooks standing in for the bundled sample (is_sample and load_sample read *.xlsx)."""
    from kam_metrics.export.template import write_template

    folder = tmp_path / "sample"
    write_template(folder / "b.xlsx", "zh")
    write_template(folder / "a.xlsx", "en")
    return folder


def test_load_sample_ingests_the_workbooks_in_name_order_and_the_store_is_then_sample(store, tmp_path):
    folder = _sample_folder(tmp_path)
    loaded = views.load_sample(store, folder)
    assert [r.file for r in loaded] == ["a.xlsx", "b.xlsx"]
    assert views.is_sample(store.uploads(), folder)


def test_store_is_not_sample_when_empty_or_when_any_upload_is_not_a_sample_file(store, upload, tmp_path):
    folder = _sample_folder(tmp_path)
    assert not views.is_sample(store.uploads(), folder)
    views.load_sample(store, folder)
    upload("leads", [{"reported_at": "2026-09-08", "kam": "王伟", "phone": PHONE}])
    assert not views.is_sample(store.uploads(), folder)


def test_try_ingest_reports_an_unreadable_file_by_name_and_stores_nothing(store):
    outcome = views.try_ingest(store, "周报.xlsx", b"this is not a workbook")
    assert outcome.result is None
    assert outcome.error_code is not None
    text = views.unreadable_text(outcome, "zh")
    assert text.startswith("无法读取 周报.xlsx：")
    assert store.uploads().empty


def test_an_uploaded_csv_shows_its_counts_and_rejected_rows_with_masked_raw_values(store):
    data = "报备时间,大客户经理,客户姓名,手机号\n2026-09-08 10:00,王伟,王先生,13812345678\n,王伟,李先生,13912345678\n"
    outcome = views.try_ingest(store, "报备.csv", data.encode("utf-8"))
    result = outcome.result
    counts = views.sheet_counts(result, "zh")
    assert list(counts.columns) == ["工作表", "识别为", "读取", "接收", "其中重复", "拒收", "警告"]
    assert counts.iloc[0].tolist() == ["报备", "报备", 2, 1, 0, 1, 0]
    rejected = views.upload_rejected(result, "zh")
    assert column(rejected, "行号") == [3]
    assert "报备时间" in rejected["原因"].iloc[0]
    assert "139****5678" in rejected["原始内容"].iloc[0] and "13912345678" not in rejected["原始内容"].iloc[0]
    assert views.upload_summary(result, "en").startswith("报备.csv: 1 sheets, 2 rows read, 1 accepted")


def test_ledger_lists_uploads_newest_first_with_their_counts(store, upload):
    upload("leads", [{"reported_at": "2026-09-08", "kam": "王伟", "phone": PHONE}])
    upload("leads", [{"reported_at": "2026-09-08", "kam": "王伟", "phone": PHONE}])
    shown = views.ledger(store.uploads(), "en")
    assert column(shown, "No.") == [2, 1]
    assert column(shown, "of which duplicates") == [1, 0]
    assert views.upload_label(store.uploads(), 1).startswith("#1 · 报备.csv · ")


# -- filters and overview ------------------------------------------------------------------------
def test_for_team_keeps_only_that_teams_kams_but_the_whole_registry(story):
    team = views.for_team(story, "二组")
    assert views.kam_names(team) == ["李娜"]
    assert set(team.leads["kam"]) == {"李娜"}
    assert team.commissions.empty
    assert len(team.registrations) == len(story.registrations)
    assert views.teams(story) == ["一组", "二组"]


def test_weeks_are_the_assessed_weeks_oldest_first(story):
    assert story.as_of == dt.date(2026, 9, 20)
    assert views.weeks(story) == ["2026-W37", "2026-W38"]
    assert views.week_label(story, "2026-W38", "zh") == "2026-W38 (2026-09-14 – 2026-09-20)"


def test_kpis_add_up_the_teams_counts_targets_fines_and_the_months_commission(story):
    kpi = views.kpis(story, "2026-W37")
    assert kpi["kams"] == 2
    assert [(q["quota"], q["count"], q["target"]) for q in kpi["quotas"]] == [
        ("units", 1, 6),
        ("batches", 1, 32),
        ("numbers", 1, 200),
    ]
    # 王伟: 2×100 + 15×10 + 99×1 = 449; 李娜 did nothing valid: 560.
    assert kpi["fines"] == Decimal("1009.00")
    assert (kpi["month"], kpi["commission"]) == ("2026-09", Decimal("2000.00"))
    assert kpi["flagged"] == 0


def test_funnel_counts_leads_valid_leads_valid_visits_and_attributed_deals(story):
    frame = views.funnel(story, "en")
    assert frame.to_dict("list") == {
        "stage": ["Leads", "Valid leads", "Valid visits", "Deals"],
        "count": [3, 1, 1, 1],
    }


def test_trend_has_count_and_target_per_week_and_quota(story):
    frame = views.trend(story, "zh")
    assert len(frame) == 2 * 3 * 2
    first = frame[(frame["week"] == "2026-W37") & (frame["quota"] == "诚意客户号码")]
    assert first[["label", "series", "value"]].values.tolist() == [["W37", "完成", 1], ["W37", "目标", 200]]


# -- weekly --------------------------------------------------------------------------------------
def test_heatmap_has_one_cell_per_kam_week_with_its_state_and_fine_in_the_hover(story):
    cells = views.heatmap(story, "zh")
    assert len(cells) == 4
    assert set(cells["state"]) == {"missed"}
    wang = cells[(cells["kam"] == "王伟") & (cells["week"] == "2026-W37")].iloc[0]
    assert wang["state_label"] == "未达标"
    assert "¥449.00" in wang["hover"]


def test_kam_week_shows_every_row_behind_the_counts_with_status_words_and_why(story):
    detail = views.kam_week(story, "李娜", "2026-W37", "zh")
    assert detail["row"]["fine"] == Decimal("560.00")
    leads = detail["leads"]
    assert list(leads.columns) == ["报备时间", "手机号", "客户姓名", "状态", "说明"]
    assert column(leads, "状态") == ["已在案场登记", "他人已报备"]
    assert column(leads, "手机号") == ["139****0003", "138****5678"]
    assert column(leads, "说明") == ["案场已于 2026-09-07 09:00 登记该客户", "该号码归属 王伟"]
    assert column(detail["units"], "状态") == ["重复单位"]
    assert detail["visits"].empty
    quotas = detail["quotas"]
    assert quotas.iloc[0].tolist() == ["拓展单位", 0, 3, 3, "¥300.00"]


def test_flagged_lists_kams_whose_last_assessed_week_is_flagged(story, compute):
    # Two missed weeks in a row: a warning under the default rules, a dismissal review from 2 weeks on.
    assert views.flagged(story, "zh").values.tolist() == [
        ["李娜", "二组", "预警", 2],
        ["王伟", "一组", "预警", 2],
    ]
    strict = compute(review_after_weeks=2)
    assert views.flagged(strict, "en")["Flag"].tolist() == ["dismissal review", "dismissal review"]
    assert views.kpis(story, "2026-W38")["warning"] == 2


def test_weekly_table_shows_words_and_money(story):
    table = views.weekly_table(story, "zh")
    assert table.iloc[0][["大客户经理", "周", "罚款", "达标"]].tolist() == [
        "王伟",
        "2026-W37",
        "¥449.00",
        "否",
    ]


# -- attribution ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("5678", [PHONE]),
        ("138 1234 5678", [PHONE]),
        ("王建", [PHONE]),
        ("赵", [OVERLAP_PHONE]),
        ("无此人", []),
    ],
)
def test_find_customers_by_digits_of_the_number_or_part_of_a_name(story, query, found):
    assert views.find_customers(story, query) == found


def test_customer_story_tells_leads_visit_and_deal_in_time_order_with_who_and_why(story):
    shown = views.customer_story(story, PHONE, "zh")
    assert shown[["时间", "事件", "大客户经理", "状态"]].values.tolist() == [
        ["2026-09-08 10:00", "报备", "王伟", "有效"],
        ["2026-09-09 11:00", "报备", "李娜", "他人已报备"],
        ["2026-09-10 15:00", "带访", "王伟", "有效"],
        ["2026-09-20", "成交", "王伟", "带访成交"],
    ]
    assert "¥2,000.00" in shown["详情"].iloc[-1]
    assert views.customer_label(story, PHONE) == "138****5678 · 王先生 / 王建国"


def test_claim_text_names_the_holder_and_the_winning_lead(story):
    assert views.claim_text(story, PHONE, "zh") == "归属：王伟（2026-09-08 10:00 首次有效报备），长期有效。"
    assert views.claim_text(story, OVERLAP_PHONE, "en") == "No KAM holds this customer at the as-of date."


def test_refusals_count_refused_leads_and_visits_per_kam_and_reason(story):
    frame = views.refusals(story, "zh")
    assert frame.values.tolist() == [["李娜", "报备", "他人已报备", 1], ["李娜", "报备", "已在案场登记", 1]]


# -- commissions ---------------------------------------------------------------------------------
def test_statement_table_shows_each_kams_month_in_yuan(story):
    assert views.months(story) == ["2026-09"]
    table = views.statement_table(story, "2026-09", "zh")
    assert table.values.tolist() == [
        ["王伟", "一组", "¥2,000.00", "¥0.00", "¥1,009.00", "¥991.00"],
        ["李娜", "二组", "¥0.00", "¥0.00", "¥1,120.00", "-¥1,120.00"],
    ]
    assert views.statement_totals(story, None)["net"] == Decimal("-129.00")


def test_deal_lines_mask_phones_and_use_words_for_type_and_line(story):
    lines = views.deal_lines(story, "en", kam="王伟")
    row = lines.iloc[0]
    assert (row["Phone"], row["Type"], row["Line"], row["KAM commission"]) == (
        "138****5678",
        "visit deal",
        "commission",
        "¥2,000.00",
    )
    assert views.deal_lines(story, "en", kam="李娜").empty


# -- rules ---------------------------------------------------------------------------------------
def _form(rules: Rules) -> dict:
    values = dict(rules.flat())
    out = {}
    for key in values:
        parent, _, leaf = key.rpartition(".")
        out[key] = getattr(getattr(rules, parent), leaf) if parent else getattr(rules, key)
    out["excused_weeks"] = ""
    for key in ("fines.units", "fines.batches", "fines.numbers", "commission.visit_share"):
        out[key] = float(out[key])
    return out


def test_rules_from_form_reads_the_forms_values_back_into_equal_rules():
    assert views.rules_from_form(_form(Rules())) == Rules()


def test_rules_from_form_reads_excused_weeks_from_text():
    values = _form(Rules()) | {"excused_weeks": "2027-02-10，2027-W08"}
    assert views.rules_from_form(values).excused_weeks == ("2027-02-10", "2027-W08")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("targets.units", -1),
        ("commission.visit_share", 1.5),
        ("fines.batches", -10.0),
        ("excused_weeks", "2027-13"),
    ],
)
def test_a_bad_form_value_is_refused_naming_its_key(key, value):
    with pytest.raises(RulesError) as error:
        views.rules_from_form(_form(Rules()) | {key: value})
    assert key in str(error.value)
    line = views.rules_error_lines(error.value, "zh")[0]
    assert f"({key})" in line


def test_rules_changes_lists_only_changed_keys():
    edited = views.rules_from_form(_form(Rules()) | {"targets.units": 5})
    assert views.rules_changes(Rules(), edited, "zh").values.tolist() == [
        ["拓展单位目标 (targets.units)", "3", "5"]
    ]


def test_whatif_shows_fines_commission_and_flags_under_both_rules_side_by_side(story, compute):
    edited = compute(fines={"units": 200}, review_after_weeks=2, commission={"visit_share": 0.25})
    table = views.whatif(story, edited, "zh")
    wang = table[table["大客户经理"] == "王伟"].iloc[0]
    assert wang[["罚款（当前）", "罚款（修改后）", "罚款变化"]].tolist() == [
        "¥1,009.00",
        "¥1,509.00",
        "¥500.00",
    ]
    assert wang[["佣金（当前）", "佣金（修改后）", "佣金变化"]].tolist() == [
        "¥2,000.00",
        "¥1,000.00",
        "-¥1,000.00",
    ]
    assert wang[["标记（当前）", "标记（修改后）"]].tolist() == ["预警", "辞退评估"]
    totals = views.whatif_totals(story, edited)
    assert (totals["fines_now"], totals["fines_new"]) == (Decimal("2129.00"), Decimal("3229.00"))
    assert (totals["flagged_now"], totals["flagged_new"]) == (2, 2)
