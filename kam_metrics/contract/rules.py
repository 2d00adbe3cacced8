"""The rules file (SPEC §6): one validated model; every default lives here and nowhere else."""

from __future__ import annotations

import bisect
import datetime as dt
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the key (and the change, for a [[changes]] table).

    ``problems`` holds one line per problem; the message joins them with "; "."""

    def __init__(self, message: str | list[str]) -> None:
        self.problems = [message] if isinstance(message, str) else list(message)
        super().__init__("; ".join(self.problems))


def _int_to_decimal(value: object) -> object:
    # A whole number in TOML (fines.units = 100) is a fine money amount; text is not.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


Money = Annotated[Decimal, BeforeValidator(_int_to_decimal)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Targets(_Strict):
    units: int = Field(3, ge=0)
    batches: int = Field(16, ge=0)
    numbers: int = Field(100, ge=0)


class Fines(_Strict):
    units: Money = Field(Decimal(100), ge=0, max_digits=16, decimal_places=2)
    batches: Money = Field(Decimal(10), ge=0, max_digits=16, decimal_places=2)
    numbers: Money = Field(Decimal(1), ge=0, max_digits=16, decimal_places=2)


class Commission(_Strict):
    visit_share: Money = Field(Decimal("0.5"), ge=0, le=1, max_digits=12, decimal_places=10)
    visit_share_source: Literal["salesperson", "company"] = "salesperson"
    lead_deal_fixed: Money = Field(Decimal(200), ge=0, max_digits=16, decimal_places=2)


class Rules(_Strict):
    week_start: Literal[WEEKDAYS] = "monday"  # type: ignore[valid-type]
    warn_after_weeks: int = Field(2, ge=1)
    review_after_weeks: int = Field(4, ge=1)
    protection_days: int = Field(0, ge=0)
    min_lead_minutes: int = Field(0, ge=0)
    excused_weeks: tuple[str, ...] = Field((), strict=False)
    targets: Targets = Targets()
    fines: Fines = Fines()
    commission: Commission = Commission()

    @field_validator("excused_weeks")
    @classmethod
    def _excused_weeks_are_dates_or_iso_weeks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            excused_date(item)
        return value

    @property
    def week_start_index(self) -> int:
        """0 for Monday … 6 for Sunday."""
        return WEEKDAYS.index(self.week_start)

    def excused_dates(self) -> list[dt.date]:
        return [excused_date(item) for item in self.excused_weeks]

    def flat(self) -> list[tuple[str, str]]:
        """(dotted key, value) pairs for the export's rules sheet, in file order."""
        rows: list[tuple[str, str]] = []
        for key, value in self.model_dump().items():
            if isinstance(value, dict):
                rows += [(f"{key}.{k}", _text(v)) for k, v in value.items()]
            else:
                rows.append((key, _text(value)))
        return rows

    def to_toml(self) -> str:
        """The rules as a TOML file that loads back to an equal model."""
        lines: list[str] = []
        tables: list[str] = []
        for key, value in self.model_dump().items():
            if isinstance(value, dict):
                tables.append(f"\n[{key}]")
                tables += [f"{k} = {_toml(v)}" for k, v in value.items()]
            else:
                lines.append(f"{key} = {_toml(value)}")
        return "\n".join(lines + tables) + "\n"


def excused_date(item: str) -> dt.date:
    """A date (2027-02-10) or an ISO week name (2027-W07, its Monday)."""
    match = _ISO_WEEK.match(item)
    try:
        if match:
            return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        return dt.date.fromisoformat(item)
    except ValueError:
        raise ValueError(f"{item!r} is neither a date (2027-02-10) nor an ISO week (2027-W07)") from None


def _text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _toml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value) if value != value.to_integral() else str(int(value))
    return str(value)


def _problems(error: ValidationError, prefix: str = "") -> list[str]:
    parts = []
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"] if not isinstance(p, int)) or "(file)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        parts.append(f"{prefix}{key}: {msg}")
    return parts


def rules_from_dict(data: dict) -> Rules:
    """Validate a parsed rules mapping (the base keys only); raises RulesError naming the offending key."""
    try:
        return Rules.model_validate(_decimals_from_floats(data))
    except ValidationError as e:
        raise RulesError(_problems(e)) from None


def _decimals_from_floats(data: object) -> object:
    # TOML floats are binary; 0.1 must mean exactly 0.1 in money arithmetic.
    if isinstance(data, dict):
        return {k: _decimals_from_floats(v) for k, v in data.items()}
    if isinstance(data, float):
        return Decimal(repr(data))
    return data


def load_rules(path: str | Path | None) -> Rules:
    """The rules of a TOML file, or the defaults when ``path`` is None."""
    if path is None:
        return Rules()
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise RulesError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RulesError(f"{path}: not valid TOML ({e})") from None
    return rules_from_dict(data)


def parse_rules_text(text: str) -> Rules:
    """Rules from TOML text (the dashboard's editor)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RulesError(f"not valid TOML ({e})") from None
    return rules_from_dict(data)


# -- rule versions (SPEC §6 v1.2) ------------------------------------------------------------------
# The keys a [[changes]] table may set, in the order of SPEC §6 (a table key sets any of its sub-keys).
VERSIONABLE = ("warn_after_weeks", "review_after_weeks", "protection_days", "min_lead_minutes", "targets", "fines",
               "commission")  # fmt: skip
NOT_VERSIONABLE = ("week_start", "excused_weeks")
BEGINNING = dt.date.min  # the base version's "effective from"


class RuleChange(BaseModel):
    """One [[changes]] table: from ``effective_from`` on, the keys it sets (nested as in the file, e.g.
    ``{"targets": {"numbers": 60}}``, holding validated values: money as Decimal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    effective_from: dt.date
    values: dict[str, object] = {}

    def body(self) -> str:
        """The keys it sets as TOML (without effective_from): what the store keeps of a change."""
        lines = []
        for key, value in self.values.items():
            if isinstance(value, dict):
                inner = ", ".join(f"{k} = {_toml(v)}" for k, v in value.items())
                lines.append(f"{key} = {{ {inner} }}")
            else:
                lines.append(f"{key} = {_toml(value)}")
        return "\n".join(lines) + ("\n" if lines else "")


class RuleSet(BaseModel):
    """The base rules plus the ordered changes (SPEC §6 v1.2); ``in_force(d)`` is the version in force on d.

    Changes are kept in date order and no two share a date; each change applied to the version before it must
    give valid rules (ruleset_from_dict checks all of this with messages naming the change and the key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base: Rules = Rules()
    changes: tuple[RuleChange, ...] = ()
    _starts: list[dt.date] = PrivateAttr()
    _versions: list[Rules] = PrivateAttr()

    def model_post_init(self, context: object) -> None:
        dates = [c.effective_from for c in self.changes]
        if any(a >= b for a, b in zip(dates, dates[1:], strict=False)):
            raise ValueError("rule changes must be in date order, one per effective_from")
        versions = [self.base]
        for change in self.changes:
            versions.append(_apply(versions[-1], change.values, _label(change.effective_from, 0)))
        self._starts = [BEGINNING, *dates]
        self._versions = versions

    def in_force(self, d: dt.date) -> Rules:
        """The base updated by every change with effective_from <= d, in date order."""
        return self._versions[bisect.bisect_right(self._starts, d) - 1]

    @property
    def versions(self) -> list[tuple[dt.date, Rules]]:
        """(first day, rules) of each version, the base first (from BEGINNING)."""
        return list(zip(self._starts, self._versions, strict=True))

    def to_toml(self) -> str:
        """The base as a rules file, then each change as a [[changes]] table: loads back to an equal set."""
        text = self.base.to_toml()
        for change in self.changes:
            text += f"\n[[changes]]\neffective_from = {change.effective_from.isoformat()}\n" + change.body()
        return text


def as_ruleset(rules: Rules | RuleSet | None) -> RuleSet:
    """A RuleSet from rules of either kind (plain Rules are a base-only set; None the defaults)."""
    if rules is None:
        return RuleSet()
    return rules if isinstance(rules, RuleSet) else RuleSet(base=rules)


def _label(effective_from: dt.date | None, index: int) -> str:
    """How a problem names its change: by effective_from, with its position in the file when known."""
    if effective_from is None:
        return f"[[changes]] #{index}: "
    return f"[[changes]] {effective_from.isoformat()}" + (f" (#{index})" if index else "") + ": "


def _merge(into: dict, values: dict) -> dict:
    out = dict(into)
    for key, value in values.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def _apply(previous: Rules, values: dict, label: str) -> Rules:
    """The version after a change: its keys over ``previous``, validated (problems prefixed with ``label``)."""
    problems = [
        f"{label}{key}: not versionable (set it in the base rules)"
        for key in values
        if key in NOT_VERSIONABLE
    ]
    if problems:
        raise RulesError(problems)
    try:
        return Rules.model_validate(_merge(previous.model_dump(), _decimals_from_floats(values)))
    except ValidationError as e:
        raise RulesError(_problems(e, label)) from None


def _validated(values: dict, rules: Rules) -> dict:
    """The change's own keys with the values the validated version holds (0.5 → Decimal("0.5"))."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out[key] = {k: getattr(getattr(rules, key), k) for k in value}
        else:
            out[key] = getattr(rules, key)
    return out


def _effective_from(raw: dict, index: int) -> tuple[dt.date | None, list[str]]:
    value = raw.get("effective_from")
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return None, [f"{_label(None, index)}effective_from: {value!r} is not a date (2027-01-25)"]
    if value is None:
        return None, [f"{_label(None, index)}effective_from: required (the date the change takes effect)"]
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        return None, [f"{_label(None, index)}effective_from: must be a date (2027-01-25), not {value!r}"]
    return value, []


def ruleset_from_dict(data: dict) -> RuleSet:
    """Validate a parsed rules mapping with optional ``changes`` (the [[changes]] tables); raises RulesError
    with one line per problem, each naming the key and, for a change, its effective_from (or its position)."""
    data = dict(data)
    raw_changes = data.pop("changes", [])
    problems: list[str] = []
    try:
        base = rules_from_dict(data)
    except RulesError as e:
        problems += e.problems
        base = Rules()  # still check the changes, so every problem is reported at once
    if not isinstance(raw_changes, list) or not all(isinstance(c, dict) for c in raw_changes):
        raise RulesError([*problems, "changes: must be [[changes]] tables"])
    dated: list[tuple[dt.date, int, dict]] = []
    for index, raw in enumerate(raw_changes, 1):
        effective_from, bad = _effective_from(raw, index)
        problems += bad
        if effective_from is None:
            continue
        if any(d == effective_from for d, _, _ in dated):
            problems.append(
                f"{_label(effective_from, index)}effective_from: two changes take effect on this date"
            )
            continue
        dated.append((effective_from, index, {k: v for k, v in raw.items() if k != "effective_from"}))
    changes, version = [], base
    for effective_from, index, values in sorted(dated, key=lambda c: c[0]):
        try:
            version = _apply(version, values, _label(effective_from, index))
        except RulesError as e:
            problems += e.problems
            continue
        changes.append(RuleChange(effective_from=effective_from, values=_validated(values, version)))
    if problems:
        raise RulesError(problems)
    return RuleSet(base=base, changes=tuple(changes))


def _read_toml(text: str, where: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RulesError(f"{where}not valid TOML ({e})") from None


def parse_ruleset_text(text: str) -> RuleSet:
    """A rule set from TOML text: the base keys, then any [[changes]] tables."""
    return ruleset_from_dict(_read_toml(text, ""))


def load_ruleset(path: str | Path) -> RuleSet:
    """The rule set of a TOML file (base and [[changes]])."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RulesError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise RulesError(f"{path}: not valid TOML ({e})") from None
    return ruleset_from_dict(_read_toml(text, f"{path}: "))
