"""kam_metrics.present.disputes: who may file on which row, the queue, the evidence, the what-if, the decisions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam_metrics.access.roles import LOCAL, Refused, Viewer
from kam_metrics.ingest import decisions
from kam_metrics.present import disputes
from tests.kam_metrics.present.conftest import OVERLAP_PHONE, PHONE

WANG = Viewer(login="wang", role="kam", kam="王伟")
LI = Viewer(login="li", role="kam", kam="李娜")
LEAD_ONE = Viewer(login="lead1", role="team_lead", team="一组")
FINANCE = Viewer(login="fin", role="finance")


def pick(rows: list[disputes.Row], **key) -> disputes.Row:
    return next(r for r in rows if all(r.key[k] == v for k, v in key.items()))


def totals(results, kam: str) -> tuple[Decimal, Decimal]:
    """(fines_total, commission_total) of one KAM."""
    row = results.summary[results.summary["kam"] == kam].iloc[0]
    return row["fines_total"], row["commission_total"]


def test_spec_8_outcomes_per_kind_valid_first_or_the_deal_types():
    assert list(disputes.verdicts("lead", "zh")) == [
        "valid",
        "registry_overlap",
        "duplicate_own",
        "owned_by_other",
    ]
    assert list(disputes.verdicts("unit", "en")) == ["valid", "no_photo", "duplicate_unit"]
    assert list(disputes.verdicts("deal", "zh")) == ["visit_deal", "lead_deal", "unattributed"]
    assert disputes.verdicts("visit", "zh")["not_reported"] == "未提前报备"
    assert disputes.needs_kam("deal", "lead_deal") and not disputes.needs_kam("deal", "unattributed")


def test_a_kam_sees_only_their_own_rows_and_the_deal_of_a_phone_they_reported(story):
    assert [(r.kam, r.phone, r.status) for r in disputes.rows(story, LI, "lead", "zh")] == [
        ("李娜", PHONE, "owned_by_other"),
        ("李娜", OVERLAP_PHONE, "registry_overlap"),
    ]
    assert disputes.rows(story, LI, "visit", "zh") == []
    deals = disputes.rows(story, LI, "deal", "zh")
    assert [(r.kam, r.key, r.status) for r in deals] == [
        ("王伟", {"phone": PHONE, "property": "3栋1502", "signed": "2026-09-20"}, "visit_deal")
    ]
    assert [r.kam for r in disputes.rows(story, LEAD_ONE, "unit", "zh")] == ["王伟"]
    assert disputes.kams(story, LEAD_ONE) == ["王伟"]
    assert sorted(disputes.kams(story, LOCAL)) == ["李娜", "王伟"]


def test_only_refused_keeps_the_rows_that_do_not_count(story):
    assert [r.status for r in disputes.rows(story, LOCAL, "unit", "zh", refused_only=True)] == [
        "duplicate_unit"
    ]
    assert disputes.rows(story, LOCAL, "deal", "zh", refused_only=True) == []  # the one deal is attributed


def test_a_kam_may_not_file_on_another_kams_row_nor_finance_at_all(story, store):
    wang_lead = pick(disputes.rows(story, LOCAL, "lead", "zh"), kam="王伟")
    with pytest.raises(Refused):
        disputes.file_dispute(store, story, LI, wang_lead, "owned_by_other", "不是他的")
    with pytest.raises(Refused):
        disputes.file_dispute(store, story, FINANCE, wang_lead, "owned_by_other", "x")
    assert decisions.disputes(store).empty


def test_a_filed_dispute_is_open_counted_for_the_director_and_its_filer_and_changes_nothing(
    story, store, compute
):
    li_unit = disputes.rows(story, LI, "unit", "zh")[0]
    made = disputes.file_dispute(store, story, LI, li_unit, "valid", "不同的公司")
    assert made == (1, None)
    after = compute()
    assert totals(after, "李娜") == totals(story, "李娜") == (Decimal("1120.00"), Decimal("0.00"))
    assert (
        disputes.open_count(store, LOCAL),
        disputes.open_count(store, LI),
        disputes.open_count(store, WANG),
    ) == (
        1,
        1,
        0,
    )
    assert disputes.open_count(store, FINANCE) == 0
    mine = disputes.view(after, LI, "zh", store=store)
    assert mine.table.values.tolist() == [
        [
            "#1", "待处理", "拓展单位", "李娜 · 2026-09-09 · 华为 技术有限公司", "有效", "不同的公司", "li",
            mine.table["提交时间"].iloc[0], "",
        ]
    ]  # fmt: skip
    assert mine.disputes[0].may_withdraw and not mine.disputes[0].may_decide
    assert disputes.view(after, WANG, "zh", store=store).disputes == []  # not 王伟's row


def test_only_the_filer_withdraws_and_only_while_open(story, store):
    row = disputes.rows(story, LI, "lead", "zh")[0]
    dispute_id, _ = disputes.file_dispute(store, story, LI, row, "valid", "我先联系的")
    with pytest.raises(decisions.DecisionError) as refused:
        disputes.withdraw(store, Viewer(login="other", role="kam", kam="李娜"), dispute_id)
    assert refused.value.key == "decisions.not_filer"
    disputes.withdraw(store, LI, dispute_id)
    with pytest.raises(decisions.DecisionError) as closed:
        disputes.withdraw(store, LI, dispute_id)
    assert closed.value.key == "decisions.dispute_closed"
    assert decisions.disputes(store)["state"].tolist() == ["withdrawn"]


def test_the_director_queue_shows_open_first_with_the_customers_story_as_evidence(story, store, compute):
    lead = pick(disputes.rows(story, LI, "lead", "zh"), phone=PHONE)
    first, _ = disputes.file_dispute(store, story, LI, lead, "valid", "先报的")
    disputes.reject(store, LOCAL, first, "王伟在先")
    second, _ = disputes.file_dispute(store, story, LI, lead, "valid", "再议")
    view = disputes.view(compute(), LOCAL, "zh", store=store)
    assert [(d.id, d.state) for d in view.disputes] == [(second, "open"), (first, "rejected")]
    assert view.open_count == 1 and view.chosen.id == second and view.chosen.may_decide
    assert view.table["处理结果"].tolist() == ["", "驳回：王伟在先"]
    shown = view.evidence[
        ["事件", "大客户经理", "状态", "当时报备归属", "文件", "工作表", "行号"]
    ].values.tolist()
    assert shown == [
        ["报备", "王伟", "有效", "王伟", "报备.csv", "报备", "2"],
        ["报备", "李娜", "他人已报备", "王伟", "报备.csv", "报备", "3"],
        ["带访", "王伟", "有效", "王伟", "带访.csv", "带访", "2"],
        ["成交", "王伟", "带访成交", "", "成交.csv", "成交", "2"],
    ]
    assert view.claim == "归属：王伟（2026-09-08 10:00 首次有效报备），长期有效。"


def test_the_what_if_of_a_lead_moves_the_claim_the_visit_and_the_deal_between_kams(story, store, compute):
    # 李娜's lead adjudicated valid takes the claim at 09-09 11:00: 王伟's visit on 09-10 then meets no claim of
    # his (one batch fewer: +10), the deal becomes 李娜's lead_deal (200 instead of 王伟's 2,000), and 李娜 gets
    # one valid number (−1 of her fine).
    lead = pick(disputes.rows(story, LI, "lead", "zh"), phone=PHONE)
    dispute_id, _ = disputes.file_dispute(store, story, LI, lead, "valid", "先报的")
    chosen = disputes.view(story, LOCAL, "zh", store=store).chosen
    found = disputes.whatif(story, store, chosen.kind, chosen.row, "valid", None, "zh")
    assert (
        found.week
        == "李娜 2026-W37：拓展单位 0 → 0，带访批次 0 → 0，诚意客户号码 0 → 1，罚款 ¥560.00 → ¥559.00"
    )
    change = found.table
    assert change[
        ["大客户经理", "罚款（当前）", "罚款（裁定后）", "佣金（当前）", "佣金（裁定后）"]
    ].values.tolist() == [
        ["王伟", "¥1,009.00", "¥1,019.00", "¥2,000.00", "¥0.00"],
        ["李娜", "¥1,120.00", "¥1,119.00", "¥0.00", "¥200.00"],
    ]
    assert decisions.stored_adjudications(store).empty  # the what-if stored nothing
    disputes.accept(store, LOCAL, dispute_id, "李娜先联系客户")
    after = compute()
    assert (totals(after, "王伟"), totals(after, "李娜")) == (
        (Decimal("1019.00"), Decimal("0.00")),
        (Decimal("1119.00"), Decimal("200.00")),
    )
    shown = pick(disputes.rows(after, LI, "lead", "zh"), phone=PHONE)
    assert shown.status_shown == "有效 · 人工裁定：李娜先联系客户"
    assert decisions.disputes(store)["state"].tolist() == ["accepted"]


def test_a_rejected_dispute_changes_no_result(story, store, compute):
    unit = disputes.rows(story, LI, "unit", "zh")[0]
    dispute_id, _ = disputes.file_dispute(store, story, LI, unit, "valid", "x")
    with pytest.raises(decisions.DecisionError) as missing:
        disputes.reject(store, LOCAL, dispute_id, "  ")
    assert missing.value.key == "decisions.missing"
    disputes.reject(store, LOCAL, dispute_id, "同一家公司")
    after = compute()
    assert after.summary.equals(story.summary) and after.adjudications.empty


def test_deciding_needs_the_director(story, store):
    unit = disputes.rows(story, LI, "unit", "zh")[0]
    dispute_id, _ = disputes.file_dispute(store, story, LI, unit, "valid", "x")
    for who in (LEAD_ONE, LI, FINANCE):
        with pytest.raises(Refused):
            disputes.accept(store, who, dispute_id, "y")
        with pytest.raises(Refused):
            disputes.adjudicate(store, who, unit, "valid", "y")


def test_direct_adjudication_of_a_unit_counts_it_and_removing_it_restores_the_engine(story, store, compute):
    unit = disputes.rows(story, LOCAL, "unit", "zh", kam="李娜")[0]
    made = disputes.adjudicate(store, LOCAL, unit, "valid", "另一家公司")
    assert made[1] is None
    after = compute()
    assert totals(after, "李娜")[0] == Decimal("1020.00")  # one valid unit: 200 instead of 300 that week
    table = disputes.adjudications_table(after, LOCAL, "zh")
    assert table[["编号", "类别", "数据行", "裁定结果", "原因", "孤立"]].values.tolist() == [
        [f"#{made[0]}", "拓展单位", "李娜 2026-09-09 华为 技术有限公司", "有效", "另一家公司", ""]
    ]
    with pytest.raises(decisions.DecisionError):
        disputes.remove(store, LOCAL, made[0], "")
    disputes.remove(store, LOCAL, made[0], "录入错误")
    assert totals(compute(), "李娜")[0] == Decimal("1120.00")


def test_an_adjudication_of_a_row_not_stored_is_marked_orphaned(story, store, compute):
    row = disputes.Row("lead", "王伟", "13900000009", {"kam": "王伟", "phone": "13900000009",
                       "at": "2026-09-12 10:00:00"}, "", "", "", None)  # fmt: skip
    made = disputes.adjudicate(store, LOCAL, row, "valid", "纸质报备")
    assert made[1] == decisions.ORPHANED
    table = disputes.adjudications_table(compute(), LOCAL, "zh")
    assert table[["数据行", "孤立"]].values.tolist() == [
        ["王伟 139****0009 2026-09-12 10:00:00", "孤立：数据行未入库"]
    ]
    assert disputes.adjudications_table(compute(), LI, "zh").empty  # not hers


def test_a_team_lead_files_on_their_teams_rows_and_sees_only_those_disputes_without_the_evidence(
    story, store
):
    unit = disputes.rows(story, LEAD_ONE, "unit", "zh")[0]
    assert unit.kam == "王伟"
    mine, _ = disputes.file_dispute(store, story, LEAD_ONE, unit, "no_photo", "照片不清楚")
    li_unit = disputes.rows(story, LI, "unit", "zh")[0]
    disputes.file_dispute(store, story, LI, li_unit, "valid", "x")
    view = disputes.view(story, LEAD_ONE, "zh", store=store, dispute=mine)
    assert [(d.id, d.filed_by, d.may_withdraw, d.may_decide) for d in view.disputes] == [
        (mine, "lead1", True, False)
    ]
    assert view.chosen.id == mine and view.evidence is None and view.claim == ""
    assert disputes.open_count(store, LEAD_ONE) == 1
