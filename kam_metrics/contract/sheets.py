"""The one table of sheet kinds, their aliases, fields, required columns and header detection (SPEC §2)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kam_metrics.contract.text import ZERO_WIDTH_RE

# Field types decide how a raw cell is normalised (see kam_metrics.normalize).
TEXT = "text"
NAME = "name"  # person name: Han white-space rule
PHONE = "phone"
DATETIME = "datetime"
NUMBER = "number"  # money: DECIMAL(18,2)
INTEGER = "integer"
STATUS = "status"


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str, ...]  # the first alias is the canonical Chinese header
    type: str = TEXT

    @property
    def canonical(self) -> str:
        return self.aliases[0]


@dataclass(frozen=True)
class SheetKind:
    name: str
    aliases: tuple[str, ...]
    fields: tuple[Field, ...]
    required: tuple[str, ...]
    natural_key: tuple[str, ...]
    # "replace": a later row with the same key replaces the stored one (roster, deals).
    # "keep": a row whose key is stored already is a duplicate.
    on_same_key: str = "keep"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_PHONE_ALIASES = ("手机号", "电话", "联系电话", "客户电话", "phone")

# Order matters: it is the tie-break of SPEC §2 ("then the order of this table").
SHEET_KINDS: tuple[SheetKind, ...] = (
    SheetKind(
        "roster",
        ("大客户经理名单", "名单", "人员", "roster", "kams"),
        (
            Field("kam", ("大客户经理", "姓名", "客户经理", "kam"), NAME),
            Field("team", ("团队", "小组", "team")),
            Field("start_date", ("入职日期", "开始日期", "start_date"), DATETIME),
            Field("end_date", ("离职日期", "结束日期", "end_date"), DATETIME),
        ),
        required=("kam",),
        natural_key=("kam",),
        on_same_key="replace",
    ),
    SheetKind(
        "registrations",
        ("客户登记", "登记备案", "来访登记", "registrations", "registry"),
        (
            Field("registered_at", ("登记时间", "登记日期", "来访时间", "registered_at"), DATETIME),
            Field("customer_name", ("客户姓名", "姓名", "customer_name"), NAME),
            Field("phone", _PHONE_ALIASES, PHONE),
            Field("salesperson", ("置业顾问", "销售员", "salesperson"), NAME),
            Field("source", ("来源", "渠道", "source")),
        ),
        required=("registered_at", "phone"),
        natural_key=("phone", "registered_at"),
    ),
    SheetKind(
        "units",
        ("拓展单位", "单位", "units"),
        (
            Field("date", ("拓展日期", "日期", "date"), DATETIME),
            Field("kam", ("大客户经理", "客户经理", "kam"), NAME),
            Field("unit_name", ("单位名称", "单位", "unit_name")),
            Field("photo", ("照片", "拍照", "照片链接", "photo")),
            Field("contact", ("联系人", "contact")),
        ),
        required=("date", "kam", "unit_name"),
        natural_key=("kam", "date", "unit_key"),
    ),
    SheetKind(
        "leads",
        ("报备", "报备客户", "诚意客户", "客户号码", "leads"),
        (
            Field("reported_at", ("报备时间", "报备日期", "reported_at"), DATETIME),
            Field("kam", ("大客户经理", "客户经理", "kam"), NAME),
            Field("customer_name", ("客户姓名", "客户", "customer_name"), NAME),
            Field("phone", _PHONE_ALIASES, PHONE),
        ),
        required=("reported_at", "kam", "phone"),
        natural_key=("kam", "phone", "reported_at"),
    ),
    SheetKind(
        "visits",
        ("带访", "上门", "到访", "visits"),
        (
            Field("visited_at", ("到访时间", "到访日期", "上门时间", "visited_at"), DATETIME),
            Field("kam", ("大客户经理", "客户经理", "kam"), NAME),
            Field("customer_name", ("客户姓名", "客户", "customer_name"), NAME),
            Field("phone", _PHONE_ALIASES, PHONE),
            Field("party_size", ("人数", "到访人数", "party_size"), INTEGER),
            Field("salesperson", ("接待置业顾问", "置业顾问", "salesperson"), NAME),
        ),
        required=("visited_at", "kam", "phone"),
        natural_key=("kam", "phone", "visited_at"),
    ),
    SheetKind(
        "deals",
        ("成交", "成交登记", "deals"),
        (
            Field("signed_at", ("成交日期", "签约日期", "signed_at"), DATETIME),
            Field("customer_name", ("客户姓名", "客户", "customer_name"), NAME),
            Field("phone", _PHONE_ALIASES, PHONE),
            Field("property", ("房号", "房源", "property")),
            Field("amount", ("成交金额", "amount"), NUMBER),
            Field("salesperson", ("置业顾问", "销售员", "salesperson"), NAME),
            Field(
                "salesperson_commission",
                ("置业顾问佣金", "销售佣金", "salesperson_commission"),
                NUMBER,
            ),
            Field("status", ("状态", "status"), STATUS),
            Field("cancelled_at", ("退房日期", "cancelled_at"), DATETIME),
        ),
        required=("signed_at", "phone", "property", "salesperson", "salesperson_commission"),
        natural_key=("phone", "property", "signed_date"),
        on_same_key="replace",
    ),
)

KINDS: dict[str, SheetKind] = {k.name: k for k in SHEET_KINDS}

HEADER_SEARCH_ROWS = 10

_WS = re.compile(r"\s+")


def header_key(value: object) -> str:
    """Compare key for sheet names and headers: NFKC, no white space, case-folded."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _WS.sub("", ZERO_WIDTH_RE.sub("", text)).casefold()


_SHEET_ALIAS_INDEX: dict[str, str] = {}
for _kind in SHEET_KINDS:
    for _alias in _kind.aliases:
        _SHEET_ALIAS_INDEX.setdefault(header_key(_alias), _kind.name)


def kind_for_sheet_name(name: str) -> str | None:
    """The sheet kind whose alias equals the sheet (or CSV file) name, or None."""
    return _SHEET_ALIAS_INDEX.get(header_key(name))


def map_header(kind: SheetKind, header: list[object]) -> dict[str, int]:
    """Field name → column index for one header row; the first column wins for a field."""
    mapping: dict[str, int] = {}
    alias_to_field = {}
    for f in kind.fields:
        for a in f.aliases:
            alias_to_field.setdefault(header_key(a), f.name)
    for i, cell in enumerate(header):
        field = alias_to_field.get(header_key(cell))
        if field is not None and field not in mapping:
            mapping[field] = i
    return mapping


def detect_header(
    rows: list[list[object]], forced_kind: str | None = None
) -> tuple[int, str, dict[str, int]] | None:
    """Find the header row among the first rows (SPEC §2).

    Returns (row index, kind name, field → column index) or None when no row holds at least
    two aliases of one kind. With ``forced_kind`` (a sheet recognised by name) only that kind counts.
    """
    kinds = [KINDS[forced_kind]] if forced_kind else list(SHEET_KINDS)
    for idx, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        candidates = []
        for order, kind in enumerate(kinds):
            mapping = map_header(kind, row)
            if len(mapping) >= 2:
                has_required = all(r in mapping for r in kind.required)
                candidates.append((not has_required, -len(mapping), order, kind.name, mapping))
        if candidates:
            candidates.sort(key=lambda c: c[:3])
            best = candidates[0]
            return idx, best[3], best[4]
    return None
