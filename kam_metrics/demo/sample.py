"""The demo's weekly workbooks (SPEC §2) written from its plan, with the office's layout quirks."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from kam_metrics.contract.sheets import KINDS
from kam_metrics.demo.cast import CREATED, KAMS, PROJECT
from kam_metrics.demo.plan import VISIT_NOTE_FROM, Demo

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Header rows use only aliases of contract/sheets.py (mostly the canonical first alias).
_HEADERS = {
    "roster": ("大客户经理", "团队", "入职日期", "离职日期"),
    "registrations": ("登记时间", "客户姓名", "联系电话", "置业顾问", "来源"),
    "units": ("拓展日期", "大客户经理", "单位名称", "照片", "联系人"),
    "leads": ("报备时间", "大客户经理", "客户姓名", "手机号"),
    "visits": ("到访时间", "大客户经理", "客户姓名", "手机号", "人数", "接待置业顾问"),
    "deals": (
        "成交日期",
        "客户姓名",
        "手机号",
        "房号",
        "成交金额",
        "置业顾问",
        "置业顾问佣金",
        "状态",
        "退房日期",
    ),
}
_UNKNOWN_COLUMN = "备注"  # not an alias of any field: ingestion keeps and ignores it

# Layout mistakes, by week index (0 = W37 … 11 = W48).
_TITLE_ROWS = {"registrations": {0, 3, 7, 11}, "leads": {5}}
_BLANK_ROW = {"leads": {4}, "visits": {8}, "registrations": {6}}


def _phone_cell(phone: str | None, style: str) -> object:
    if phone is None:
        return None
    if style == "number":
        return int(phone)
    if style == "plus86":
        return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    if style == "dash":
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if style == "fullwidth":
        return phone.translate(_FULLWIDTH)
    return phone


def _date_cell(at: datetime | date, style: str | None, date_only: bool) -> object:
    if style == "slash":
        return f"{at.year}/{at.month}/{at.day}"
    if style == "dot":
        return f"{at.year}.{at.month:02d}.{at.day:02d}"
    if style == "cn" and isinstance(at, datetime) and not date_only:
        return f"{at.year}年{at.month}月{at.day}日 {at.hour}:{at.minute:02d}"
    if style == "cn":
        return f"{at.year}年{at.month}月{at.day}日"
    if isinstance(at, datetime) and not date_only:
        return at
    return at.date() if isinstance(at, datetime) else at


def _money_cell(value: int, style: str) -> object:
    if style == "yen":
        return f"¥{value:,}"
    if style == "thousands":
        return f"{value:,}"
    if style == "yuan":
        return f"{value}元"
    return value


def _spaced(name: str) -> str:
    return " ".join(name)


_WIDTHS = {"roster": 14, "registrations": 18, "units": 24, "leads": 18, "visits": 18, "deals": 15}


class _Writer:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(str(path))
        self.wb.set_properties({"created": CREATED, "author": PROJECT, "title": PROJECT})
        self.header = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.datetime = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd"})

    def sheet(
        self, kind: str, rows: list[list[object] | None], *, title: bool = False, extra: bool = False
    ) -> None:
        ws = self.wb.add_worksheet(KINDS[kind].aliases[0])
        headers = list(_HEADERS[kind]) + ([_UNKNOWN_COLUMN] if extra else [])
        ws.set_column(0, len(headers) - 1, _WIDTHS[kind])
        r = 0
        if title:
            ws.write_string(0, 0, f"{PROJECT}{KINDS[kind].aliases[0]}表", self.title)
            r = 1
        for c, h in enumerate(headers):
            ws.write_string(r, c, h, self.header)
        ws.freeze_panes(r + 1, 0)
        for row in rows:
            r += 1
            for c, value in enumerate(row or ()):
                self.cell(ws, r, c, value)

    def cell(self, ws: Worksheet, r: int, c: int, value: object) -> None:
        if value is None or value == "":
            return
        if isinstance(value, datetime):
            ws.write_datetime(r, c, value, self.datetime)
        elif isinstance(value, date):
            ws.write_datetime(r, c, datetime.combine(value, time()), self.date)
        elif isinstance(value, int | float):
            ws.write_number(r, c, value)
        else:
            ws.write_string(r, c, str(value))

    def close(self) -> None:
        self.wb.close()


def _with_blank(rows: list[list[object] | None], w: int, kind: str) -> list[list[object] | None]:
    if w in _BLANK_ROW[kind] and len(rows) > 10:
        mid = len(rows) // 2
        return rows[:mid] + [None] + rows[mid:]
    return rows


def _write_week(path: Path, demo: Demo, w: int) -> None:
    week = demo.weeks[w]
    out = _Writer(path)
    roster = []
    for k in KAMS:
        if w < k.listed_from:
            continue
        start = (
            f"{k.start.year}/{k.start.month}/{k.start.day}"
            if k.start.year == 2026 and k.start.month == 9
            else k.start
        )
        end = k.end if (k.end and w >= k.end_listed_from) else None
        roster.append([k.name, k.team, start, end])
    out.sheet("roster", roster)
    registry = [
        [r.at, r.name, _phone_cell(r.phone, r.phone_style), r.salesperson, r.source]
        for r in demo.registry[: week.registry_size]
    ]
    out.sheet(
        "registrations", _with_blank(registry, w, "registrations"), title=w in _TITLE_ROWS["registrations"]
    )
    units = [[_date_cell(u.day, u.date_style, True), u.kam, u.name, u.photo, u.contact] for u in week.units]
    out.sheet("units", units)
    leads = [
        [
            _date_cell(r.at, r.date_style, r.date_only),
            _spaced(r.kam) if r.spaced_kam else r.kam,
            r.name,
            _phone_cell(r.phone, r.phone_style),
        ]
        for r in week.leads
    ]
    out.sheet("leads", _with_blank(leads, w, "leads"), title=w in _TITLE_ROWS["leads"])
    extra = w >= VISIT_NOTE_FROM
    visits = [
        [
            _date_cell(v.at, v.date_style, False),
            v.kam,
            v.name,
            _phone_cell(v.phone, v.phone_style),
            v.party,
            v.salesperson,
        ]
        + ([v.note] if extra else [])
        for v in week.visits
    ]
    out.sheet("visits", _with_blank(visits, w, "visits"), extra=extra)
    deals = []
    for d in demo.deals:
        if d.signed > week.deals_until:
            continue
        cancelled = d.cancelled is not None and w >= d.cancel_listed_from
        deals.append(
            [
                _date_cell(d.signed, d.date_style, True),
                d.name,
                d.phone,
                d.property,
                d.amount,
                d.salesperson,
                _money_cell(d.commission, d.money_style),
                "退房" if cancelled else "已签约",
                d.cancelled if cancelled else None,
            ]
        )
    out.sheet("deals", deals)
    out.close()


def write_sample(out_dir: str | Path) -> list[Path]:
    """Write the demo's weekly workbooks (``2026-W37_周报.xlsx`` … ``2026-W48_周报.xlsx``) into ``out_dir``.

    The content is fixed by a seed and the workbooks carry a fixed creation date, so every run writes
    byte-identical files. Returns the paths in week order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    demo = Demo()
    demo.build()
    paths = []
    for w, week in enumerate(demo.weeks):
        path = out / week.file_name
        _write_week(path, demo, w)
        paths.append(path)
    return paths
