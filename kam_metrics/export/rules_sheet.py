"""The rules sheet of the result workbook (SPEC §7): the base rules, then each rule version's changed keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pandas as pd

from kam_metrics.contract.rules import Rules

# The keys in the order of SPEC §6's TOML block (min_lead_minutes is listed before the engine knows it, so
# it lands in its place when it does); a key not listed here follows them in the rules' own order.
RULE_ORDER = (
    "week_start",
    "warn_after_weeks",
    "review_after_weeks",
    "protection_days",
    "min_lead_minutes",
    "excused_weeks",
    "targets.units",
    "targets.batches",
    "targets.numbers",
    "fines.units",
    "fines.batches",
    "fines.numbers",
    "commission.visit_share",
    "commission.visit_share_source",
    "commission.lead_deal_fixed",
)

COLUMNS = ["key", "value", "effective_from"]


def rules_rows(base: Rules, changes: Iterable[tuple[dt.date, Mapping]] = ()) -> pd.DataFrame:
    """The rules sheet's rows: every base key with an empty effective_from, then each change in date order with
    the keys it sets (nested as in the TOML file, ``{"targets": {"numbers": 60}}``, or dotted) and its date."""
    rows = [(key, value, None) for key, value in _ordered(base.flat())]
    for effective_from, keys in sorted(changes, key=lambda change: change[0]):
        rows += [(key, value, effective_from) for key, value in _ordered(_flatten(keys))]
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def _ordered(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(key, value) pairs in RULE_ORDER, unknown keys after the known ones in their given order."""
    pairs = list(pairs)
    rank = {key: i for i, key in enumerate(RULE_ORDER)}
    return sorted(pairs, key=lambda pair: rank.get(pair[0], len(RULE_ORDER)))


def _flatten(keys: Mapping, prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in keys.items():
        if isinstance(value, Mapping):
            pairs += _flatten(value, f"{prefix}{key}.")
        else:
            pairs.append((f"{prefix}{key}", value_text(value)))
    return pairs


def value_text(value: object) -> str:
    """A rule value as the sheet shows it, as Rules.flat writes it: a list joined by ", ", a number as written."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):  # a TOML float means its written digits (0.5), as the rules model reads it
        return str(Decimal(repr(value)))
    return str(value)
