"""The records of the demo's rows as planned, before the office types them into the weekly sheets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from kam_metrics.demo.cast import LAST_DAY, WEEKS


@dataclass
class Registration:
    at: datetime
    name: str | None
    phone: str
    salesperson: str | None
    source: str
    phone_style: str = "plain"


@dataclass
class Lead:
    at: datetime
    kam: str
    name: str | None
    phone: str | None
    date_only: bool = False
    phone_style: str = "plain"
    date_style: str | None = None
    spaced_kam: bool = False
    fresh: bool = False  # the first lead ever for its phone: safe to restyle


@dataclass
class Visit:
    at: datetime
    kam: str
    name: str | None
    phone: str
    party: int | str
    salesperson: str | None
    note: str = ""
    phone_style: str = "plain"
    date_style: str | None = None


@dataclass
class Unit:
    day: date
    kam: str
    name: str
    photo: str | None
    contact: str
    date_style: str | None = None


@dataclass
class Deal:
    signed: date
    name: str | None
    phone: str
    property: str
    amount: int
    salesperson: str
    commission: int
    money_style: str = "number"
    date_style: str | None = None
    cancelled: date | None = None
    cancel_listed_from: int = WEEKS
    via: str = ""  # how the customer came: "visit", "lead" or "none" (for the demo's own bookkeeping)


@dataclass
class Week:
    monday: date
    days: list[date]
    leads: list[Lead] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    registry_size: int = 0  # the registry is cumulative: the first registry_size registrations
    deals_until: date = LAST_DAY

    @property
    def file_name(self) -> str:
        iso = self.monday.isocalendar()
        return f"{iso.year}-W{iso.week:02d}_周报.xlsx"


@dataclass
class Pooled:
    phone: str
    name: str | None
    at: datetime
