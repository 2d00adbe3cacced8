"""The rules file (SPEC §6): one validated model; every default lives here and nowhere else."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the key."""


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


def _message(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"] if not isinstance(p, int)) or "(file)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        parts.append(f"{key}: {msg}")
    return "; ".join(parts)


def rules_from_dict(data: dict) -> Rules:
    """Validate a parsed rules mapping; raises RulesError naming the offending key."""
    try:
        return Rules.model_validate(_decimals_from_floats(data))
    except ValidationError as e:
        raise RulesError(_message(e)) from None


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
