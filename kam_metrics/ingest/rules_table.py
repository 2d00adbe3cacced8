"""The rules kept in the store (SPEC §6 v1.2): rule versions with history in the rule_versions table."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import duckdb
import pandas as pd

from kam_metrics.access import audit
from kam_metrics.access.roles import Viewer
from kam_metrics.contract.rules import (
    WEEKDAYS,
    RulesError,
    RuleSet,
    as_ruleset,
    load_ruleset,
    ruleset_from_dict,
)
from kam_metrics.ingest.store import Store

# A row of rule_versions is one version: the base (effective_from null, every key) or a change (the keys it
# sets). The versions in force are the rows not replaced; replacing keeps the old rows, so history is complete.
HISTORY_COLUMNS = ["version_id", "effective_from", "body", "saved_at", "saved_by", "replaced_at"]


def read_rules(cur: duckdb.DuckDBPyConnection) -> RuleSet:
    """The stored rules in force, read on ``cur`` (compute passes its snapshot); the defaults when none."""
    rows = cur.execute(
        "select effective_from, body from rule_versions where replaced_at is null order by effective_from nulls first"
    ).fetchall()
    if not rows:
        return RuleSet()
    data: dict = {}
    changes = []
    for effective_from, body in rows:
        values = tomllib.loads(body)
        if effective_from is None:
            data = values
        else:
            changes.append({"effective_from": effective_from, **values})
    try:
        return ruleset_from_dict({**data, "changes": changes})
    except RulesError as e:  # a store written by a later version with keys this one does not know
        raise RulesError([f"stored rules: {p}" for p in e.problems]) from None


def stored_rules(store: Store) -> RuleSet:
    """The rules stored in ``store`` (the defaults when nothing is stored)."""
    return read_rules(store.cursor())


def _insert(
    cur: duckdb.DuckDBPyConnection, effective_from: dt.date | None, body: str, by: str, at: dt.datetime
) -> None:
    next_id = cur.execute("select coalesce(max(version_id), 0) + 1 from rule_versions").fetchall()[0][0]
    cur.execute(
        "insert into rule_versions (version_id, effective_from, body, saved_at, saved_by) values (?, ?, ?, ?, ?)",
        [next_id, effective_from, body, at, by],
    )


def _write_all(cur: duckdb.DuckDBPyConnection, rules: RuleSet, by: str) -> None:
    at = dt.datetime.now().replace(microsecond=0)
    cur.execute("update rule_versions set replaced_at = ? where replaced_at is null", [at])
    _insert(cur, None, rules.base.to_toml(), by, at)
    for change in rules.changes:
        _insert(cur, change.effective_from, change.body(), by, at)


def _by(by: str | None, viewer: Viewer | None) -> tuple[str, Viewer]:
    """Who saves (``viewer.login`` when a viewer is given, else ``by``) and the viewer allowed to (roles.require)."""
    acting = audit.acting(viewer, "edit_rules")
    return (acting.login if viewer is not None or by is None else by), acting


def set_rules(store: Store, rules, by: str | None = None, *, viewer: Viewer | None = None) -> None:
    """Replace every stored version with ``rules`` (a RuleSet, or plain Rules: a base without changes); the
    replaced versions stay in the history. Audited with the old and new rules as TOML."""
    by, _ = _by(by, viewer)
    rules = as_ruleset(rules)
    with store._writing() as cur:
        old = read_rules(cur)
        _write_all(cur, rules, by)
        audit.record(cur, by, "rules_set", "", {"old": old.to_toml(), "new": rules.to_toml()})


def _nested(values: dict) -> dict:
    """Dotted keys (``targets.numbers``, as the dashboard's form has them) as the file's nested tables."""
    out: dict = {}
    for key, value in values.items():
        head, _, rest = key.partition(".")
        if rest:
            out.setdefault(head, {})[rest] = value
        elif isinstance(value, dict):
            out.setdefault(key, {}).update(value)
        else:
            out[key] = value
    return out


def add_change(
    store: Store,
    effective_from: dt.date,
    values: dict,
    by: str | None = None,
    *,
    viewer: Viewer | None = None,
) -> RuleSet:
    """Store one new change (the dashboard's save): ``values`` nested (``{"targets": {"numbers": 60}}``) or dotted
    (``{"targets.numbers": 60}``), in force from ``effective_from``. A change already stored for that date takes
    the new keys over its own (one change per date). Validated with the stored versions first (RulesError
    naming the change and key); returns the rules now in force. Audited with the old and new value of every key
    in force from ``effective_from`` that the save changes."""
    by, _ = _by(by, viewer)
    if isinstance(effective_from, dt.datetime) or not isinstance(effective_from, dt.date):
        raise RulesError(f"effective_from: must be a date, not {effective_from!r}")
    with store._writing() as cur:
        current = read_rules(cur)
        changes = []
        merged = _nested(values)
        for change in current.changes:
            if change.effective_from == effective_from:
                merged = _merge_values(change.values, merged)
            else:
                changes.append({"effective_from": change.effective_from, **change.values})
        changes.append({"effective_from": effective_from, **merged})
        updated = ruleset_from_dict({**current.base.model_dump(), "changes": changes})
        at = dt.datetime.now().replace(microsecond=0)
        if not cur.execute("select 1 from rule_versions where replaced_at is null").fetchall():
            _insert(cur, None, current.base.to_toml(), by, at)  # the base in force so far becomes explicit
        cur.execute(
            "update rule_versions set replaced_at = ? where replaced_at is null and effective_from = ?",
            [at, effective_from],
        )
        new = next(c for c in updated.changes if c.effective_from == effective_from)
        _insert(cur, effective_from, new.body(), by, at)
        old_values, new_values = (
            dict(current.in_force(effective_from).flat()),
            dict(updated.in_force(effective_from).flat()),
        )
        changed = sorted(k for k in new_values if old_values.get(k) != new_values[k])
        details = {
            "effective_from": effective_from,
            "old": {k: old_values.get(k) for k in changed},
            "new": {k: new_values[k] for k in changed},
        }
        audit.record(cur, by, "rules_change", effective_from.isoformat(), details, at=at)
    return updated


def _merge_values(old: dict, new: dict) -> dict:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in old.items()}
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def next_week_start(as_of: dt.date, week_start: str = "monday") -> dt.date:
    """The first day of the week after the one holding ``as_of`` (a saved edit's default effective_from)."""
    start = as_of - dt.timedelta(days=(as_of.weekday() - WEEKDAYS.index(week_start)) % 7)
    return start + dt.timedelta(days=7)


def history(store: Store) -> pd.DataFrame:
    """Every version ever stored, oldest first (replaced_at null: in force), columns HISTORY_COLUMNS."""
    records = (
        store.cursor()
        .execute(f"select {', '.join(HISTORY_COLUMNS)} from rule_versions order by version_id")
        .fetchall()
    )
    # object columns: a base's effective_from and a live version's replaced_at stay None, dates stay dates
    return pd.DataFrame(
        {c: pd.Series([r[i] for r in records], dtype=object) for i, c in enumerate(HISTORY_COLUMNS)},
        columns=HISTORY_COLUMNS,
    )


def import_legacy_rules_file(store: Store, path: str | Path, by: str) -> bool:
    """Import the rules file of earlier versions (data/rules.toml beside the store) once: only when no version
    is stored and the file exists. Returns whether it imported; a refused file raises RulesError and stores
    nothing (the caller shows the problem; the defaults stay in force)."""
    path = Path(path)
    if store.cursor().execute("select 1 from rule_versions limit 1").fetchall() or not path.is_file():
        return False
    rules = load_ruleset(path)
    with store._writing() as cur:
        if cur.execute("select 1 from rule_versions limit 1").fetchall():
            return False  # another session imported it meanwhile
        _write_all(cur, rules, by)
        audit.record(cur, by, "rules_set", str(path), {"old": None, "new": rules.to_toml()})
    return True
