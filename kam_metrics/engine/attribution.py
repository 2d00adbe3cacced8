"""Customer attribution (判客, SPEC §3): lead, visit and unit statuses, claims, and deal lines with commissions.

Three paths decide leads and visits: the reference pass (engine.reference, any protection_days); when claims
never lapse in any rule version, a vectorised path here; and when they lapse after one protection_days in every
version, the split path: the vectorised path for every phone where no claim can lapse (no row of the phone comes
protection_days after its first lead), the reference pass for the others. All give the same results
(tests/kam_metrics/engine). Rule versions (SPEC §6) reach the SQL models as the small table kam_rule_days
(one row per version), joined on each row's own date.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics import sql
from kam_metrics.contract.codes import LEAD_STATUSES, VALID
from kam_metrics.contract.rules import Rules, RuleSet, as_ruleset
from kam_metrics.contract.text import HONORIFICS
from kam_metrics.engine import adjudication
from kam_metrics.engine.reference import ROW_ORDER, reference_tables

FAST, REFERENCE, SPLIT = "fast", "reference", "split"
PATHS = (FAST, REFERENCE, SPLIT)


@dataclass
class Attribution:
    leads: pd.DataFrame
    visits: pd.DataFrame
    units: pd.DataFrame
    claims: pd.DataFrame
    commissions: pd.DataFrame


def _fast_tables(
    cur: duckdb.DuckDBPyConnection, check_lead_time: bool, span: int = 0
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The reference pass for protection_days = 0, vectorised: (leads, visits, claims) as reference_tables
    builds them. With ``span`` (protection_days in seconds, > 0) the claims carry the lapse the reference pass
    gives them — their lead's moment + span, none once a visit of the phone is valid — which is right for every
    phone where no row comes ``span`` after its first lead (the split path hands the others to the pass).

    Claims never lapse, so a phone's claim is won once, by its first lead in the decision order — if that lead
    is not a registry overlap. (Whether a lead overlaps depends only on its key, and keys grow along the order:
    once one lead of a phone overlaps, every later one does, so no lead after an overlap can win the claim.)
    Every later lead of the phone is a duplicate or another KAM's, unless it overlaps, and the claim holder
    holds the claim from that lead on. A visit that passes checks 1–3 is a duplicate when an earlier visit of the
    phone passed every check (that one is the phone's only valid visit: only the holder passes check 2).
    Claim ids number the claims in phone order, as the reference pass appends them.
    """
    leads = sql.run(cur, "int_leads_keyed").to_arrow_table()
    # Sorting in Arrow and deciding with NumPy is several times cheaper than window functions here.
    leads = leads.take(pc.sort_indices(leads, sort_keys=ROW_ORDER))
    n = leads.num_rows
    first = _first_of_group(leads["phone"])  # per lead: the position of its phone's first lead
    overlap = leads["overlap"].to_numpy()
    claimed = ~overlap[first]  # the phone's first lead won the claim
    kam = leads["kam"]
    holder = kam.take(pa.array(first))
    own = pc.equal(kam, holder).to_numpy(zero_copy_only=False)
    is_first = first == np.arange(n)
    overlap_code, own_code, other_code, valid_code = (LEAD_STATUSES.index(c) for c in LEAD_STATUSES)
    code = np.where(
        overlap, overlap_code, np.where(is_first, valid_code, np.where(own, own_code, other_code))
    )
    status = pa.DictionaryArray.from_arrays(
        pa.array(code.astype(np.int8)), pa.array(LEAD_STATUSES, pa.string())
    )
    claim_kam = pc.if_else(pa.array(claimed), holder, pa.scalar(None, pa.string()))
    lead_table = pa.table(
        {
            "kam": kam,
            "phone": leads["phone"],
            "customer_name": leads["customer_name"],
            "reported_at": leads["reported_at"],
            "status": status.cast(pa.string()),
            "reported_at_date_only": leads["reported_at_date_only"],
            "claim_kam": claim_kam,
            "upload_id": leads["upload_id"],
            "sheet": leads["sheet"],
            "row_no": leads["row_no"],
            "k": leads["k"],
        }
    )
    winners = leads.filter(pa.array(claimed & is_first)).select(["phone", "kam", "k", "customer_name", "ts"])
    winners = winners.take(pc.sort_indices(adjudication.phone_order_key(winners["phone"])))
    claims = pa.table(
        {
            "claim_id": pa.array(np.arange(winners.num_rows, dtype=np.int64)),
            "phone": winners["phone"],
            "kam": winners["kam"],
            "start_k": winners["k"],
            "lapse_ts": pa.nulls(winners.num_rows, pa.int64()),
            "claim_name": winners["customer_name"],
        }
    )
    cur.register("kam_fast_claims", claims)
    try:
        visits = sql.run(
            cur, "fct_visit_status_fast", honorifics=list(HONORIFICS), check_lead_time=check_lead_time
        ).to_arrow_table()
    finally:
        cur.unregister("kam_fast_claims")
    if span:
        # a valid visit is the holder's and comes while the claim is in force: it keeps the claim for ever
        visited = pc.filter(visits["phone"], pc.equal(visits["status"], VALID))
        lapse = pc.if_else(
            pc.is_in(claims["phone"], value_set=visited.unique()),
            pa.scalar(None, pa.int64()),
            pc.add(winners["ts"], span),
        )
        claims = claims.set_column(claims.schema.get_field_index("lapse_ts"), "lapse_ts", lapse)
    return lead_table, visits, claims.drop_columns(["claim_name"])


def _first_of_group(values: pa.ChunkedArray) -> np.ndarray:
    """For each position, the first position holding the same value (stored phones are 11-digit numbers)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    try:
        keys = pc.cast(values, pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        keys = pc.dictionary_encode(values).combine_chunks().indices.to_numpy(zero_copy_only=False)
    codes, _ = pd.factorize(keys)  # numbered in order of first appearance
    running = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    new[1:] = running[1:] > running[:-1]
    return np.flatnonzero(new)[codes]


def choose_path(rules: Rules | RuleSet, path: str | None = None) -> str:
    """The attribution path: ``path`` when given (tests and the bench force one), else the fast path exactly
    when claims never lapse (protection_days = 0 in every rule version), the split path when every version has
    the same protection_days, the reference pass otherwise. Raises ValueError for an unknown path, the fast path
    with lapsing claims, or the split path with versions of different protection_days."""
    days = {r.protection_days for _, r in as_ruleset(rules).versions}
    lapsing = days != {0}
    if path is None:
        return (SPLIT if len(days) == 1 else REFERENCE) if lapsing else FAST
    if path not in PATHS:
        raise ValueError(f"unknown attribution path {path!r}; expected one of {PATHS}")
    if path == FAST and lapsing:
        raise ValueError("the fast attribution path needs protection_days = 0")
    if path == SPLIT and len(days) != 1:
        raise ValueError("the split attribution path needs one protection_days in every rule version")
    return path


def checks_lead_time(rules: Rules | RuleSet) -> bool:
    """Whether visit check 1b can fail: some rule version has min_lead_minutes > 0 (SPEC §3)."""
    return any(r.min_lead_minutes > 0 for _, r in as_ruleset(rules).versions)


def rule_days(rules: Rules | RuleSet) -> pa.Table:
    """The table kam_rule_days the models join on a row's date: one row per rule version (its first day, and the
    keys the SQL applies by date: min_lead_minutes and the commission keys)."""
    versions = as_ruleset(rules).versions
    return pa.table(
        {
            "from_day": pa.array([d for d, _ in versions], pa.date32()),
            "min_lead_minutes": pa.array([r.min_lead_minutes for _, r in versions], pa.int64()),
            "visit_share": pa.array([r.commission.visit_share for _, r in versions], pa.decimal128(18, 10)),
            "lead_deal_fixed": pa.array(
                [r.commission.lead_deal_fixed for _, r in versions], pa.decimal128(18, 2)
            ),
            "share_from_salesperson": pa.array(
                [r.commission.visit_share_source == "salesperson" for _, r in versions], pa.bool_()
            ),
        }
    )


def attribute(cur: duckdb.DuckDBPyConnection, rules: Rules | RuleSet, path: str | None = None) -> Attribution:
    """Statuses of every lead, visit and unit, the claims, and the commission lines of every current deal, each
    row under the rule version in force on its own date (SPEC §6).

    ``path`` forces an attribution path (see choose_path); by default the fast one when claims never lapse."""
    rules = as_ruleset(rules)
    chosen = choose_path(rules, path)
    adjudicated = adjudication.load(cur)  # SPEC §8
    cur.register("kam_rule_days", rule_days(rules))
    try:
        if chosen in (FAST, SPLIT):
            span = rules.base.protection_days * 86400 if chosen == SPLIT else 0
            lead_table, visit_table, claim_table = _fast_tables(cur, checks_lead_time(rules), span)
            lead_table, visit_table = map(adjudication.with_no_adjudication, (lead_table, visit_table))
            # adjudicated phones and those where a claim may lapse are decided by the reference pass, the rest
            # stay vectorised
            phones = adjudicated.phones
            if span:
                lapsing = sql.run(cur, "int_lapsing_phones", span=span).fetchall()
                phones = sorted(set(phones).union(p for (p,) in lapsing))
            if phones:
                decided = reference_tables(cur, rules, adjudicated, phones)
                fast = (lead_table, visit_table, claim_table)
                lead_table, visit_table, claim_table = adjudication.merge_phones(
                    fast, decided, phones, ROW_ORDER
                )
        else:
            lead_table, visit_table, claim_table = reference_tables(cur, rules, adjudicated)
        units = sql.run(cur, "fct_unit_status").to_arrow_table().to_pandas()
        commissions = commission_lines(cur, visit_table, claim_table)
    finally:
        cur.unregister("kam_rule_days")
    return Attribution(
        leads=lead_table.to_pandas(),
        visits=visit_table.to_pandas(),
        units=units,
        claims=claim_table.to_pandas(),
        commissions=commissions,
    )


def commission_lines(cur: duckdb.DuckDBPyConnection, visits: pa.Table, claims: pa.Table) -> pd.DataFrame:
    """The commission and clawback lines of every current deal (model fct_commission_lines), given the decided
    visits and claims; kam_rule_days (rule_days) must be registered on ``cur``."""
    # what the lines read of the decided visits: the valid ones and their claim holders
    # keyed by the visit's own KAM: the claim holder at the visit but for one adjudicated valid (SPEC §8)
    valid_visits = visits.filter(pc.equal(visits["status"], VALID)).select(["phone", "kam", "k"])
    valid_visits = valid_visits.rename_columns(["phone", "claim_kam", "k"])
    cur.register("kam_valid_visits", valid_visits)
    cur.register("kam_claims", claims)
    try:
        return sql.run(cur, "fct_commission_lines").to_arrow_table().to_pandas()
    finally:
        cur.unregister("kam_valid_visits")
        cur.unregister("kam_claims")
