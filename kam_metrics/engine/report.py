"""Every result at once: a pure function of (stored data, rules, as_of), shared by the CLI, the export and the pages."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.contract.rules import Rules
from kam_metrics.engine import assessment, attribution, statement
from kam_metrics.i18n import t


@dataclass
class Results:
    """All computed tables; column names follow SPEC §7 (extra columns carry provenance for drill-down)."""

    rules: Rules
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


def _store_cursor(store):
    return store.cursor() if hasattr(store, "cursor") and not hasattr(store, "sql") else store


def compute(store, rules: Rules | None = None, as_of: dt.date | None = None) -> Results:
    """Compute every result from all stored data. ``store`` is a Store or a DuckDB connection.

    All queries read one snapshot (one transaction), so an upload committing meanwhile cannot mix states.
    """
    rules = rules or Rules()
    cur = _store_cursor(store)
    try:
        cur.execute("begin transaction")
        began = True
    except Exception:  # the caller's connection is already inside a transaction: that is the snapshot
        began = False
    try:
        return _compute(cur, rules, as_of)
    finally:
        if began:
            cur.execute("commit")


def _compute(cur, rules: Rules, as_of: dt.date | None) -> Results:
    attr = attribution.attribute(cur, rules)
    if as_of is None:
        as_of = assessment.default_as_of(cur)
    kams = assessment.kam_roster(cur)
    weekly = assessment.assess(cur, attr, rules, as_of, kams)
    teams = dict(zip(kams["kam"], kams["team"], strict=True))
    months = statement.monthly(attr.commissions, weekly, teams)
    summary = statement.summary(kams, weekly, months)
    in_progress = None
    if as_of is not None:
        week = assessment.week_of(as_of, rules)
        if as_of != week + dt.timedelta(days=6):
            in_progress = week
    for frame in (attr.leads, attr.visits, attr.units, attr.commissions):
        frame.insert(1, "team", _teams_of(frame["kam"], teams))
    return Results(
        rules=rules,
        as_of=as_of,
        in_progress_week=in_progress,
        kams=kams,
        summary=summary,
        weekly=weekly,
        statement=months,
        commissions=attr.commissions,
        leads=attr.leads,
        visits=attr.visits,
        units=attr.units,
        claims=attr.claims,
        registrations=cur.sql(
            f"""select *, {attribution.key_sql("registered_at", "registered_at_date_only", attribution.LATE_SLOT)} as k
                from registrations order by registered_at, upload_id, row_no"""
        )
        .to_arrow_table()
        .to_pandas(),
        rejected=cur.sql(
            """select u.file_name as file, r.sheet, r.row_no as row, r.problems, r.raw, r.kind, r.upload_id
               from rejected r join uploads u using (upload_id) order by r.upload_id, r.sheet, r.row_no"""
        )
        .to_arrow_table()
        .to_pandas(),
        warnings=cur.sql(
            """select u.file_name as file, w.sheet, w.row_no as row, w."column", w.code, w.value, w.kind, w.upload_id
               from warnings w join uploads u using (upload_id) order by w.upload_id, w.sheet, w.row_no"""
        )
        .to_arrow_table()
        .to_pandas(),
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
