"""Data tests beside the SQL models (kam_metrics/sql): grain comments, unique keys, not-null columns and accepted
codes on the bundled sample, and no rule value pasted into any model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kam_metrics import sql
from kam_metrics.contract import codes
from kam_metrics.contract.rules import Rules
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
    ("int_events", ("etype", "upload_id", "sheet", "row_no"), ("kam", "phone", "at_ts", "k", "ts", "overlap")),
    ("int_leads_keyed", ("kam", "phone", "reported_at"), ("k", "overlap", "upload_id", "row_no")),
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
                  + codes.UNATTRIBUTED_REASONS + codes.LINES + codes.DEAL_STATUSES)  # fmt: skip
    for name in sql.names():
        for literal in re.findall(r"then '([a-z_]+)'|else '([a-z_]+)'|as '([a-z_]+)'", sql.text(name)):
            code = next(x for x in literal if x)
            assert code in spelled, (name, code)


def test_no_rule_value_is_pasted_into_a_model():
    """Rule values (SPEC §6) reach the models as $parameters: no default value appears as a literal."""
    rules = Rules()
    values = {str(rules.commission.visit_share), str(rules.commission.lead_deal_fixed)}
    for name in sql.names():
        numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", sql.text(name)))
        assert not numbers & values, name
    assert "$visit_share" in sql.text("fct_commission_lines")


def test_a_model_reads_the_models_it_names_whoever_ran_before():
    """No call order: assessment's models define the current deals and roster themselves."""
    assert sql.depends_on("fct_default_as_of") == ("stg_deals_current",)
    assert sql.depends_on("fct_kam_roster") == ("stg_roster_current",)
    assert sql.depends_on("fct_commission_lines") == (
        "stg_deals_current", "stg_registrations", "int_first_registration"
    )  # fmt: skip
