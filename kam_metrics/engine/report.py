"""Every result at once: a pure function of (stored data and decisions, rules, as_of), shared by the CLI, the export and the pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics import sql
from kam_metrics.contract.results import RESULT_COLUMNS
from kam_metrics.contract.rules import Rules, RuleSet, as_ruleset
from kam_metrics.engine import adjudication, assessment, attribution, cutoff, statement
from kam_metrics.engine import close as period_close
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store


@dataclass(frozen=True)
class Results:
    """All computed tables; each frame holds exactly the columns contract.results.RESULT_COLUMNS declares for it
    (checked when built: a frame with a missing, extra or reordered column raises ValueError)."""

    rules: Rules  # the rule version in force on as_of (the base without as_of)
    as_of: dt.date | None
    in_progress_week: dt.date | None
    kams: pd.DataFrame
    summary: pd.DataFrame
    weekly: pd.DataFrame
    statement: pd.DataFrame
    commissions: pd.DataFrame
    leads: pd.DataFrame
    visits: pd.DataFrame
    units: pd.DataFrame
    claims: pd.DataFrame
    registrations: pd.DataFrame
    rejected: pd.DataFrame
    warnings: pd.DataFrame
    adjudications: pd.DataFrame  # SPEC §8
    rule_versions: RuleSet  # every version the results were computed with (base + changes, SPEC §6)
    adjustments: pd.DataFrame  # §9: frozen and open-month adjustments (engine/close.py)

    def __post_init__(self) -> None:
        for name, expected in RESULT_COLUMNS.items():
            got = tuple(getattr(self, name).columns)
            if got != expected:
                raise ValueError(f"Results.{name} has columns {got}, expected {expected}")


def compute(
    store: Store, rules: Rules | RuleSet | None = None, as_of: dt.date | None = None, path: str | None = None
) -> Results:
    """Compute every result from all stored data (SPEC §3–§5) under ``rules``: a RuleSet (base + changes, each
    applied by the row's own date, SPEC §6) or plain Rules (a base-only set); default: the rules stored in the
    store (ingest.rules_table; the defaults when none are stored), read in the same snapshot.

    ``as_of`` defaults to the latest stored date; a given as_of cuts every stored row dated after it
    (engine.cutoff), so funnel, commissions, statements and export all stand at the end of as_of. ``path`` forces an attribution path ("fast" or "reference",
    see attribution.choose_path); only tests and the bench set it. All queries read one snapshot (one
    transaction on a fresh cursor), so an upload committing meanwhile cannot mix states. Raises TypeError when
    ``store`` is not a Store; errors of the computation propagate (the snapshot is rolled back).
    """
    with snapshot(store, rules, "compute") as (cur, ruleset):
        return _compute(cur, ruleset, as_of, path)


@contextmanager
def snapshot(
    store: Store, rules: Rules | RuleSet | None, caller: str
) -> Iterator[tuple[duckdb.DuckDBPyConnection, RuleSet]]:
    """A read snapshot of ``store``: a fresh cursor in one transaction and the rules to compute under (``rules``,
    or the stored ones read in the same transaction), always rolled back. Raises TypeError naming ``caller``
    when ``store`` is not a Store."""
    if not isinstance(store, Store):
        raise TypeError(f"{caller} needs a Store, not {type(store).__name__}")
    cur = store.cursor()
    cur.execute("begin transaction")
    try:
        if rules is None:
            from kam_metrics.ingest.rules_table import read_rules

            rules = read_rules(cur)
        yield cur, as_ruleset(rules)
    finally:
        cur.execute("rollback")  # read only: nothing to keep; temp views, tables and macros go with it
        cur.close()


def _compute(
    cur: duckdb.DuckDBPyConnection, rules: RuleSet, as_of: dt.date | None, path: str | None
) -> Results:
    latest = assessment.default_as_of(cur)
    if as_of is None:
        as_of = latest
    elif latest is not None and as_of < latest:
        cutoff.cut_at(cur, as_of)  # rows dated after as_of do not exist for this computation
    # read by the leads, visits, events and deal lines: computed once (a group-by of every registration)
    sql.materialize(cur, "int_first_registration")
    attr = attribution.attribute(cur, rules, path)
    kams = assessment.kam_roster(cur)
    weekly = assessment.assess(cur, attr, rules, as_of, kams)
    teams = dict(zip(kams["kam"], kams["team"], strict=True))
    months = statement.monthly(attr.commissions, weekly, teams)
    summary = statement.summary(kams, weekly, months)
    months, summary, adjustments = period_close.settle(cur, months, summary, attr.commissions, weekly, teams)
    for frame in (attr.leads, attr.visits, attr.units, attr.commissions):
        frame.insert(1, "team", _teams_of(frame["kam"], teams))
    return Results(
        rules=rules.in_force(as_of) if as_of is not None else rules.base,
        as_of=as_of,
        in_progress_week=assessment.in_progress_week(as_of, rules.base),
        kams=kams,
        summary=summary,
        weekly=weekly,
        statement=months,
        commissions=attr.commissions,
        leads=attr.leads,
        visits=attr.visits,
        units=attr.units,
        claims=attr.claims,
        registrations=sql.run(cur, "stg_registrations").to_arrow_table().to_pandas(),
        rejected=sql.run(cur, "fct_rejected").to_arrow_table().to_pandas(),
        warnings=sql.run(cur, "fct_warnings").to_arrow_table().to_pandas(),
        adjudications=adjudication.frame(cur),
        rule_versions=rules,
        adjustments=adjustments,
    )


def _teams_of(kams: pd.Series, teams: dict[str, str]):
    """Each row's team ("" for a KAM off the roster or no KAM), mapped column-wise (a million rows)."""
    if kams.empty:
        return []
    found = pc.index_in(pa.array(kams, pa.string()), value_set=pa.array(list(teams), pa.string()))
    mapped = pc.fill_null(pc.take(pa.array(list(teams.values()), pa.string()), found), "")
    return pd.Series(mapped.to_pandas(), index=kams.index)


def describe_problems(problems: str | list, lang: str) -> str:
    """Readable reason of a rejected row from its stored problems (a JSON list of {code, column, value})."""
    items = json.loads(problems) if isinstance(problems, str) else problems
    return "; ".join(
        t(f"reject.{p['code']}", lang, column=p["column"], value=p.get("value") or "") for p in items
    )


def describe_warning(code: str, column: str, value: str | None, lang: str) -> str:
    return t(f"warn.{code}", lang, column=column, value=value or "")
