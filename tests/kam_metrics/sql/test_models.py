"""Data tests beside the SQL models (kam_metrics/sql): grain comments, unique keys, not-null columns and accepted
codes on the bundled sample, and no rule value pasted into any model."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from kam_metrics import sql
from kam_metrics.contract import codes
from kam_metrics.contract.rules import Rules, rules_from_dict
from kam_metrics.engine import attribution
from kam_metrics.ingest.store import Store

SAMPLE = sorted((Path(__file__).parents[3] / "data" / "sample").glob("*.xlsx"))
REASONS = ("", *codes.UNATTRIBUTED_REASONS)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("sample") / "kam.duckdb")
    for path in SAMPLE:
        store.ingest(path)
    yield store
    store.close()


def test_the_sample_is_bundled():
    assert len(SAMPLE) >= 2


# (model, natural key, columns never null) of the models that read only stored tables
STANDALONE = [
    ("stg_deals_current", ("phone", "property", "signed_date"), ("salesperson", "salesperson_commission", "status")),
    ("stg_roster_current", ("kam",), ("kam",)),
    ("stg_registrations", ("phone", "registered_at"), ("registered_at", "registered_at_date_only", "k")),
    ("int_first_registration", ("phone",), ("first_reg_key", "first_reg_date")),
    ("int_leads_keyed", ("kam", "phone", "reported_at"), ("k", "ts", "overlap", "upload_id", "row_no")),
    ("fct_unit_status", ("kam", "date", "unit_key"), ("status", "unit_name", "upload_id", "row_no")),
    ("fct_kam_roster", ("kam",), ("team", "on_roster")),
    ("fct_rejected", ("upload_id", "sheet", "row"), ("file", "problems", "kind")),
    ("fct_warnings", ("upload_id", "sheet", "row", "column", "code"), ("file", "kind")),
]  # fmt: skip


@pytest.mark.parametrize(("model", "key", "not_null"), STANDALONE, ids=[m for m, _, _ in STANDALONE])
def test_a_model_has_one_row_per_natural_key_and_no_nulls_where_none_may_be(sample, model, key, not_null):
    frame = sql.run(sample.cursor(), model).to_arrow_table().to_pandas()
    assert not frame.empty
    assert not frame.duplicated(list(key)).any()
    assert frame[list(key + not_null)].notna().all().all()


@pytest.mark.parametrize("model", ["fct_default_as_of", "int_data_start"])
def test_a_one_row_model_has_one_non_null_value(sample, model):
    rows = sql.run(sample.cursor(), model).fetchall()
    assert len(rows) == 1 and rows[0][0] is not None


def test_int_events_has_one_row_per_lead_and_visit_and_no_nulls_where_none_may_be(sample):
    """int_events reads the rule versions the attribution registers (kam_rule_days: 1b's min_lead_minutes)."""
    cur = sample.cursor()
    cur.register("kam_rule_days", attribution.rule_days(Rules()))
    cur.register("kam_pass_phones", pa.table({"phone": pa.array([], pa.string())}))
    frame = sql.run(cur, "int_events", check_lead_time=True, some_phones=False).to_arrow_table().to_pandas()
    assert len(frame) == sum(sample.counts()[k] for k in ("leads", "visits"))
    assert not frame.duplicated(["etype", "upload_id", "sheet", "row_no"]).any()
    assert frame[["kam", "phone", "at_ts", "k", "ts", "overlap", "too_late"]].notna().all().all()
    assert not frame["too_late"].any()  # min_lead_minutes = 0: check 1b never fails


def test_int_events_of_some_phones_are_those_phones_rows_of_every_phones_events(sample):
    """Every check reads the phone's own rows, so filtering the phones first changes none of their events."""
    cur = sample.cursor()
    cur.register("kam_rule_days", attribution.rule_days(Rules()))
    cur.register("kam_pass_phones", pa.table({"phone": pa.array([], pa.string())}))
    every = sql.run(cur, "int_events", check_lead_time=True, some_phones=False).to_arrow_table().to_pandas()
    phones = sorted(set(every["phone"]))[::3]
    cur.register("kam_pass_phones", pa.table({"phone": pa.array(phones, pa.string())}))
    some = sql.run(cur, "int_events", check_lead_time=True, some_phones=True).to_arrow_table().to_pandas()
    expected = every[every["phone"].isin(phones)].reset_index(drop=True)
    assert len(some) > 0 and len(some) < len(every)
    pd.testing.assert_frame_equal(some, expected)


def test_int_lapsing_phones_are_those_with_a_row_protection_days_after_their_first_lead(store, upload):
    """A lead, visit or deal at or after the first lead + span (seconds) makes the phone's claim able to lapse."""
    upload("leads", [{"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": "13800000001"},
                     {"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": "13800000002"},
                     {"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": "13800000003"},
                     {"reported_at": "2026-03-03 09:59:59", "kam": "李四", "phone": "13800000003"}])  # fmt: skip
    upload("visits", [{"visited_at": "2026-03-03 10:00", "kam": "张三", "phone": "13800000001"}])
    upload("deals", [{"signed_at": "2026-03-02", "phone": "13800000002", "property": "1-101", "salesperson": "赵六",
                      "salesperson_commission": "4000"}])  # fmt: skip
    one_day = sql.run(store.cursor(), "int_lapsing_phones", span=86400).fetchall()
    # the visit comes exactly a day after the lead; the deal is looked at 23:59:59 on the lead's day (< a day)
    assert one_day == [("13800000001",)]
    assert sql.run(store.cursor(), "int_lapsing_phones", span=13 * 3600).fetchall() == [
        ("13800000001",), ("13800000002",), ("13800000003",),
    ]  # fmt: skip


@pytest.mark.parametrize("path", attribution.PATHS)
def test_decided_rows_have_one_row_per_stored_row_and_only_spec_codes(sample, path):
    """fct_visit_status_fast and fct_commission_lines read what the attribution registers, so they are tested
    through it (the visit model runs on the fast path; commission lines on both)."""
    result = attribution.attribute(sample.cursor(), Rules(), path)
    for frame, accepted in ((result.leads, codes.LEAD_STATUSES), (result.visits, codes.VISIT_STATUSES),
                            (result.units, codes.UNIT_STATUSES)):  # fmt: skip
        assert not frame.duplicated(["upload_id", "sheet", "row_no"]).any()
        assert set(frame["status"]) <= set(accepted)
        assert frame[["kam", "status", "k" if "k" in frame else "unit_key"]].notna().all().all()
    lines = result.commissions
    assert not lines.duplicated(["phone", "property", "signed_date", "line"]).any()
    assert set(lines["type"]) <= set(codes.DEAL_TYPES)
    assert set(lines["reason"]) <= set(REASONS)
    assert set(lines["line"]) <= set(codes.LINES)
    assert set(lines["status"]) <= set(codes.DEAL_STATUSES)
    assert lines[["kam_commission", "salesperson_net", "month", "k"]].notna().all().all()
    assert (lines["kam"].isna() == (lines["type"] == "unattributed")).all()


def test_every_model_starts_with_its_grain_and_is_named_by_layer():
    assert sql.names()
    for name in sql.names():
        assert re.fullmatch(r"(stg|int|fct)_[a-z0-9_]+", name)
        assert sql.text(name).startswith("-- one row"), name


def test_models_end_in_a_select_from_their_last_cte_and_use_lower_case_keywords():
    for name in sql.names():
        body = "\n".join(line for line in sql.text(name).splitlines() if not line.lstrip().startswith("--"))
        assert re.search(r"\bselect \* (exclude \(\w+\) )?from \w+( order by [^;]*)?\s*$", body), name
        assert not re.search(r"\b(SELECT|FROM|WHERE|WITH|JOIN|GROUP BY|ORDER BY)\b", body), name


def test_every_code_a_model_writes_is_a_spec_code():
    spelled = set(codes.LEAD_STATUSES + codes.VISIT_STATUSES + codes.UNIT_STATUSES + codes.DEAL_TYPES
                  + codes.UNATTRIBUTED_REASONS + codes.LINES + codes.DEAL_STATUSES + (codes.ADJUDICATED,))  # fmt: skip
    for name in sql.names():
        for literal in re.findall(r"then '([a-z_]+)'|else '([a-z_]+)'|as '([a-z_]+)'", sql.text(name)):
            code = next(x for x in literal if x)
            assert code in spelled, (name, code)


def test_no_rule_value_is_pasted_into_a_model():
    """Rule values (SPEC §6) reach the models as the kam_rule_days table: no default value appears as a literal."""
    rules = Rules()
    values = {str(rules.commission.visit_share), str(rules.commission.lead_deal_fixed)}
    for name in sql.names():
        numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", sql.text(name)))
        assert not numbers & values, name
    assert "kam_rule_days" in sql.text("fct_commission_lines")


def test_a_model_reads_the_models_it_names_whoever_ran_before():
    """No call order: assessment's models define the current deals and roster themselves."""
    assert sql.depends_on("fct_default_as_of") == ("stg_deals_current",)
    assert sql.depends_on("fct_kam_roster") == ("stg_roster_current",)
    assert sql.depends_on("fct_commission_lines") == (
        "stg_deals_current", "stg_registrations", "int_first_registration"
    )  # fmt: skip


# Given/expect cases for a model in isolation: its input tables as given rows, its parameters, the rows it returns.
def test_fct_commission_lines_prices_each_deal_by_its_claim_and_the_rule_parameters(store, upload):
    deal = {"salesperson": "李销售", "salesperson_commission": "4000"}
    upload("deals", [{"signed_at": "2026-11-05", "phone": "13800000001", "property": "1-101", **deal},
                     {"signed_at": "2026-11-06", "phone": "13800000002", "property": "2-202", **deal,
                      "status": "退房", "cancelled_at": "2026-12-01"},
                     {"signed_at": "2026-11-07", "phone": "13800000003", "property": "3-303", **deal}])  # fmt: skip
    day = 20_759 * 100_000  # 2026-11-02, in order-key units
    cur = store.cursor()
    cur.register("kam_claims", pa.table({"claim_id": [0, 1], "phone": ["13800000001", "13800000002"],
                                         "kam": ["张三", "李四"], "start_k": [day + 36001, day + 36001],
                                         "lapse_ts": pa.nulls(2, pa.int64())}))  # fmt: skip
    cur.register(
        "kam_valid_visits", pa.table({"phone": ["13800000001"], "claim_kam": ["张三"], "k": [day + 100001]})
    )
    cur.register("kam_rule_days", attribution.rule_days(rules_from_dict(
        {"commission": {"visit_share": Decimal("0.25"), "lead_deal_fixed": Decimal("150")}})))  # fmt: skip
    keep = ("phone", "kam", "type", "reason", "kam_commission", "salesperson_net", "line", "month")
    rows = [
        {c: r[c] for c in keep} for r in sql.run(cur, "fct_commission_lines").to_arrow_table().to_pylist()
    ]
    assert rows == [
        {"phone": "13800000001", "kam": "张三", "type": "visit_deal", "reason": "", "kam_commission": Decimal("1000.00"),
         "salesperson_net": Decimal("3000.00"), "line": "commission", "month": "2026-11"},
        {"phone": "13800000002", "kam": "李四", "type": "lead_deal", "reason": "", "kam_commission": Decimal("150.00"),
         "salesperson_net": Decimal("4000.00"), "line": "commission", "month": "2026-11"},
        {"phone": "13800000002", "kam": "李四", "type": "lead_deal", "reason": "", "kam_commission": Decimal("-150.00"),
         "salesperson_net": Decimal("-4000.00"), "line": "clawback", "month": "2026-12"},
        {"phone": "13800000003", "kam": None, "type": "unattributed", "reason": "no_lead",
         "kam_commission": Decimal("0.00"), "salesperson_net": Decimal("4000.00"), "line": "commission",
         "month": "2026-11"},
    ]  # fmt: skip
