"""The rules page's view: the rules form read back into Rules, its errors, the changed keys and the what-if."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal

import pandas as pd
from pydantic import ValidationError

from kam_metrics.access.roles import Viewer, require_page
from kam_metrics.contract.rules import (
    NOT_VERSIONABLE,
    Rules,
    RulesError,
    RuleSet,
    excused_date,
    ruleset_from_dict,
)
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.format import money, shown, word

WHATIF = [
    "kam",
    "team",
    "fines_now",
    "fines_new",
    "fines_delta",
    "commission_now",
    "commission_new",
    "commission_delta",
    "flag_now",
    "flag_new",
]


class FormError(RulesError):
    """The form's values refused: ``problems`` are (rule key, pydantic error type, limit, value)."""

    def __init__(self, problems: list[tuple[str, str, object, object]]) -> None:
        super().__init__("; ".join(f"{k}: {kind}" for k, kind, _, _ in problems))
        self.problems = problems


_LIMITS = {
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
    "decimal_max_places": "decimal_places",
}


def _problems(error: ValidationError, data: dict) -> list[tuple[str, str, object, object]]:
    out = []
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"] if not isinstance(p, int))
        kind = e["type"]
        limit = (e.get("ctx") or {}).get(_LIMITS.get(kind, ""), "")
        value = e.get("input")
        if key == "excused_weeks" and kind == "value_error":
            kind, value = "excused", next((w for w in data.get("excused_weeks", ()) if _not_a_week(w)), "")
        out.append((key, kind, limit, value))
    return out


def _not_a_week(item: str) -> bool:
    try:
        excused_date(item)
    except ValueError:
        return True
    return False


def rules_from_form(values: dict[str, object]) -> Rules:
    """Rules from the form's flat values (``targets.units`` → 3 …); ``excused_weeks`` may be text with
    commas or spaces. Raises FormError naming each key and what is wrong with it."""
    data: dict[str, object] = {}
    for key, value in values.items():
        if key == "excused_weeks" and isinstance(value, str):
            value = [p for p in re.split(r"[\s,，;；、]+", value) if p]
        if isinstance(value, float) and value.is_integer() and not key.startswith("commission.visit_share"):
            value = int(value)
        if isinstance(value, float):
            value = Decimal(repr(value))  # a form's float is binary; 0.1 must mean exactly 0.1 in money
        parent, _, leaf = key.rpartition(".")
        target = data.setdefault(parent, {}) if parent else data
        if not isinstance(target, dict):
            raise FormError([(key, "other", "", value)])
        target[leaf] = value
    try:
        return Rules.model_validate(data)
    except ValidationError as e:
        raise FormError(_problems(e, data)) from None


def _limit(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value != value.to_integral() else str(int(value))
    return str(value)


def rules_error_lines(error: RulesError, lang: str) -> list[str]:
    """Each problem of the form as one line in ``lang`` naming the rule (``拓展单位目标不能小于 0``); the
    validator's own (English) message is never shown."""
    problems = error.problems if isinstance(error, FormError) else [("", "other", "", "")]
    lines = []
    for key, kind, limit, value in problems:
        label = t(f"ui.rule.{key}", lang) if key else t("ui.page.rules", lang)
        field = t("ux.rule_error.field", lang, label=label, rule=key) if key else label
        word_key = f"ux.rule_error.{kind}"
        if t(word_key, lang) == word_key:
            word_key = "ux.rule_error.other"
        lines.append(t(word_key, lang, field=field, limit=_limit(limit), value=value))
    return lines


def _flat(rules: Rules) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in rules.model_dump().items():
        if isinstance(value, dict):
            out |= {f"{key}.{leaf}": v for leaf, v in value.items()}
        else:
            out[key] = value
    return out


def changed_values(current: Rules, edited: Rules) -> dict[str, object]:
    """The keys (dotted) whose value the edit changes, with their typed edited values."""
    old, new = _flat(current), _flat(edited)
    return {k: v for k, v in new.items() if old.get(k) != v}


def with_base(ruleset: RuleSet, changed: dict[str, object]) -> tuple[RuleSet | None, dict[str, object]]:
    """Split an edit: (the ruleset with a new base when week_start or excused_weeks changed, else None;
    the versionable keys, stored as one change)."""
    base_keys = {k: v for k, v in changed.items() if k in NOT_VERSIONABLE}
    versioned = {k: v for k, v in changed.items() if k not in NOT_VERSIONABLE}
    if not base_keys:
        return None, versioned
    base = ruleset.base.model_dump() | {
        k: list(v) if isinstance(v, tuple) else v for k, v in base_keys.items()
    }
    base["excused_weeks"] = list(base["excused_weeks"])
    changes = [{"effective_from": c.effective_from, **c.values} for c in ruleset.changes]
    return ruleset_from_dict({**base, "changes": changes}), versioned


def scheduled(ruleset: RuleSet, as_of, lang: str) -> list[str]:
    """One line per stored change not yet in force on ``as_of``: ``自 2026-12-07 起：拓展单位目标 = 5``."""
    lines = []
    for change in ruleset.changes:
        if as_of is not None and change.effective_from <= as_of:
            continue
        parts = []
        for key, value in change.values.items():
            leaves = value.items() if isinstance(value, dict) else [("", value)]
            for leaf, v in leaves:
                rule = f"{key}.{leaf}" if leaf else key
                parts.append(f"{t(f'ui.rule.{rule}', lang)} = {v}")
        lines.append(
            t(
                "ux.rules.scheduled",
                lang,
                date=change.effective_from.isoformat(),
                keys=t("ux.list_sep", lang).join(parts),
            )
        )
    return lines


def rules_changes(current: Rules, edited: Rules, lang: str) -> pd.DataFrame:
    """The rule keys whose value differs: key (as a word), current value, edited value."""
    old = dict(current.flat())
    rows = [
        {"rule": f"{t(f'ui.rule.{k}', lang)} ({k})", "current": old.get(k, ""), "edited": v}
        for k, v in edited.flat()
        if old.get(k) != v
    ]
    return shown(rows, ["rule", "current", "edited"], lang)


def whatif(current: Results, edited: Results, lang: str) -> pd.DataFrame:
    """Per KAM, fines, commission, net and flag under the current and the edited rules, side by side."""
    new = edited.summary.set_index("kam")
    rows = []
    for a in current.summary.itertuples(index=False):
        b = new.loc[a.kam] if a.kam in new.index else None
        fines_b = b["fines_total"] if b is not None else Decimal("0.00")
        comm_a = a.commission_total - a.clawback_total
        comm_b = b["commission_total"] - b["clawback_total"] if b is not None else Decimal("0.00")
        rows.append(
            {
                "kam": a.kam,
                "team": a.team,
                "fines_now": money(a.fines_total),
                "fines_new": money(fines_b),
                "fines_delta": money(fines_b - a.fines_total),
                "commission_now": money(comm_a),
                "commission_new": money(comm_b),
                "commission_delta": money(comm_b - comm_a),
                "flag_now": word("flag", a.flag, lang) or "—",
                "flag_new": word("flag", b["flag"] if b is not None else "", lang) or "—",
            }
        )
    return shown(rows, WHATIF, lang)


def whatif_totals(current: Results, edited: Results) -> dict[str, Decimal | int]:
    """Team totals under both rule sets: fines, commission (after clawbacks) and flagged KAMs."""

    def totals(r: Results) -> dict:
        s = r.summary
        return {
            "fines": sum(s["fines_total"], Decimal("0.00")),
            "commission": sum(s["commission_total"], Decimal("0.00"))
            - sum(s["clawback_total"], Decimal("0.00")),
            "flagged": int((s["flag"] != "").sum()),
        }

    a, b = totals(current), totals(edited)
    return {f"{k}_now": v for k, v in a.items()} | {f"{k}_new": v for k, v in b.items()}


@dataclasses.dataclass(frozen=True)
class Total:
    """A what-if total: the edited value and its change as words; ``changed`` false when the rules change nothing."""

    value: str
    delta: str
    changed: bool


@dataclasses.dataclass(frozen=True)
class RulesView:
    """The rules page: the edited rules (None when the form is refused) with the error lines, the changed keys,
    and — when there is data — the what-if totals (fines, commission, flagged) and the per-KAM table."""

    edited: Rules | None
    errors: list[str]
    changes: pd.DataFrame | None
    totals: dict[str, Total] | None
    whatif: pd.DataFrame | None


def view(
    results: Results | None,
    viewer: Viewer,
    lang: str,
    form: dict[str, object] | None = None,
    results_for: Callable[[Rules], Results] | None = None,
    current: Rules | None = None,
) -> RulesView:
    """The rules page for the form's flat ``form`` values (None: the current rules unedited).

    ``current`` is the rules file's rules (default ``results.rules``). The what-if compares ``results`` with
    ``results_for(edited rules)``; without data (``results`` None) or ``results_for`` there is none.
    Refused (roles.Refused) for a viewer without the rules page."""
    require_page(viewer, "rules")
    current = current or (results.rules if results is not None else Rules())
    if form is None:
        edited, errors = current, []
    else:
        try:
            edited, errors = rules_from_form(form), []
        except RulesError as error:
            edited, errors = None, rules_error_lines(error, lang)
    changes = None if edited is None else rules_changes(current, edited, lang)
    totals = table = None
    if changes is not None and not changes.empty and results is not None and results_for is not None:
        then = results_for(edited)
        raw = whatif_totals(results, then)
        totals = {}
        for name in ("fines", "commission", "flagged"):
            new, delta = raw[f"{name}_new"], raw[f"{name}_new"] - raw[f"{name}_now"]
            as_text = str if name == "flagged" else money
            totals[name] = Total(value=as_text(new), delta=as_text(delta), changed=bool(delta))
        table = whatif(results, then, lang)
    return RulesView(edited=edited, errors=errors, changes=changes, totals=totals, whatif=table)
