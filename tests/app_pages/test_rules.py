"""app_pages/rules.py: the rules form, its errors, the changes and the what-if, and saving the file."""

from __future__ import annotations

import pandas as pd

from kam_metrics.contract.rules import Rules
from kam_metrics.engine import report
from kam_metrics.ingest.rules_table import next_week_start, stored_rules
from kam_metrics.ingest.store import Store
from kam_metrics.present import rules
from tests.app_pages.conftest import HOSTILE, frame, is_literal, literal, metrics, open_page


def test_the_what_if_totals_and_table_of_the_view_are_shown_with_their_changes(sample_env, patch_view):
    totals = {
        "fines": rules.Total(value="¥9.00", delta="¥1.00", changed=True),
        "commission": rules.Total(value="¥5.00", delta="¥0.00", changed=False),
        "flagged": rules.Total(value="3", delta="-1", changed=True),
    }
    model = rules.RulesView(
        edited=Rules(),
        errors=[],
        changes=pd.DataFrame({"规则": ["x"], "当前": ["1"], "修改后": ["2"]}),
        totals=totals,
        whatif=pd.DataFrame({"大客户经理": ["甲"], "罚款变化": ["¥1.00"]}),
    )
    calls = patch_view(rules, model)
    at = open_page("rules")
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown == {
        "罚款合计（修改后）": ("¥9.00", "¥1.00"),
        "佣金合计（修改后，已扣追回）": ("¥5.00", "¥0.00"),
        "被标记人数（修改后）": ("3", "-1"),
    }
    colours = [m.proto.color for m in at.metric]
    assert colours[1] != colours[0]  # an unchanged total is grey
    assert frame(at, "罚款变化").values.tolist() == [["甲", "¥1.00"]]
    assert not at.button(key="rules_save").disabled
    assert calls[-1][1]["form"]["targets.units"] == 3


def test_error_lines_of_the_view_are_shown_as_text_and_nothing_can_be_saved(sample_env, patch_view):
    line = f"拓展单位目标 (targets.units): {HOSTILE[0]}"
    patch_view(rules, rules.RulesView(edited=None, errors=[line], changes=None, totals=None, whatif=None))
    at = open_page("rules")
    assert is_literal(at.error[0].value, line)
    assert at.button(key="rules_save").disabled


# -- on the real sample --------------------------------------------------------------------------
def test_smoke_a_bad_rule_value_names_the_key_and_cannot_be_saved(sample_env):
    at = open_page("rules")
    at.number_input(key="rules_targets_units").set_value(-1).run()
    assert any("targets.units" in literal(e.value) for e in at.error)
    assert at.button(key="rules_save").disabled


def test_an_edited_rule_shows_its_change_and_a_what_if_and_saving_adds_one_change_from_the_next_week(
    sample_env,
):
    at = open_page("rules")
    assert at.info[-1].value == "与当前规则相同。"
    at.number_input(key="rules_targets_units").set_value(5).run()
    assert frame(at, "修改后").values.tolist() == [["拓展单位目标 (targets.units)", "3", "5"]]
    assert len(metrics(at)) == 3 and frame(at, "罚款变化") is not None
    store = Store(sample_env / "kam.duckdb")
    as_of = report.compute(store).as_of
    store.close()
    week_after = next_week_start(as_of)
    assert at.date_input(key="rules_effective_from").value == week_after
    at.button(key="rules_save").click().run()
    assert literal(at.success[0].value) == f"规则已保存：自 {week_after} 起生效。"
    store = Store(sample_env / "kam.duckdb")
    try:
        stored = stored_rules(store)
    finally:
        store.close()
    assert stored.base == Rules()  # past weeks keep their verdicts
    assert [(c.effective_from, c.values) for c in stored.changes] == [(week_after, {"targets": {"units": 5}})]
    assert not (sample_env / "rules.toml").exists()
    # The form shows the rules in force on as-of (the change starts later) and says what is scheduled.
    assert at.number_input(key="rules_targets_units").value == 3
    assert any(f"自 {week_after} 起：拓展单位目标 = 5" in literal(c.value) for c in at.caption)
    assert at.button(key="rules_save").disabled


def test_a_rules_file_of_earlier_versions_is_imported_into_the_store_once(sample_env):
    (sample_env / "rules.toml").write_text("[targets]\nunits = 7\n", encoding="utf-8")
    at = open_page("rules")
    assert at.number_input(key="rules_targets_units").value == 7
    store = Store(sample_env / "kam.duckdb")
    try:
        assert stored_rules(store).base.targets.units == 7
    finally:
        store.close()
