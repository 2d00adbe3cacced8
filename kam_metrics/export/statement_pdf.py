"""The printable monthly statement (结算单, SPEC §9) as PDF: one A4 statement per KAM and month, for signing.

The CJK font is the system's Noto Sans CJK (Debian's fonts-noto-cjk), found with fc-match or at its known
paths and embedded as a subset; nothing is fetched. The page lays out statement_lines.Statement: header,
the deal, fine and adjustment sections, the totals (always on the statement's last page) and the signatures.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from kam_metrics.export.statement_lines import NoStatement, Statement, statement_of
from kam_metrics.i18n import t

__all__ = ["FontMissing", "NoStatement", "month_pdf", "statement_pdf"]

_FAMILY = "Noto Sans CJK SC"
# Where Debian/Ubuntu (fonts-noto-cjk), Fedora and Arch put the collection; fc-match is asked first.
_KNOWN = {
    "": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    ),
    "B": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    ),
}

# Layout in mm (A4 portrait) and colours (grey levels or RGB).
W, H = 210.0, 297.0
LEFT, TOP = 15.0, 14.0
WIDTH = W - 2 * LEFT
BOTTOM = H - 20.0  # content stops here; the footer sits below
LINE = 4.6  # one line of table text
PAD = 1.2  # above and below a row's text
INK, GREY, RULE, SHADE = (33, 37, 41), (108, 117, 125), (206, 212, 218), (241, 243, 245)
CLOSED_INK, OPEN_INK = (25, 105, 60), (176, 96, 0)

# Columns of each section: (key, width, align); widths add up to WIDTH.
COLUMNS = {
    "commission": (("signed", 24, "L"), ("property", 34, "L"), ("customer", 32, "L"), ("phone", 30, "L"),
                   ("type", 30, "L"), ("amount", 30, "R")),
    "clawback": (("signed", 24, "L"), ("property", 30, "L"), ("customer", 26, "L"), ("phone", 26, "L"),
                 ("type", 22, "L"), ("cancelled", 22, "L"), ("amount", 30, "R")),
    "fine": (("week", 22, "L"), ("days", 28, "L"), ("short", 100, "L"), ("amount", 30, "R")),
    "adjustment": (("source_month", 20, "L"), ("kind", 24, "L"), ("reason", 106, "L"), ("amount", 30, "R")),
}  # fmt: skip
TOTAL_ROWS = ("commission", "clawback", "fine", "adjustment")
SIGNERS = ("kam", "director", "finance")
TOTAL_ROW = 6.0
TOTALS_H = 2 + 8 + len(TOTAL_ROWS) * TOTAL_ROW + 11  # the totals block, heading to net
SIGN_GAP, SIGN_H = 7.0, 22.0
FOOT_ROOM = TOTALS_H + SIGN_GAP + SIGN_H  # totals and signatures are kept together on the last page


class FontMissing(RuntimeError):
    """No CJK font to print Chinese with; the message names the package to install."""

    def message(self, lang: str) -> str:
        return t("statement_pdf.error.font_missing", lang)


@dataclass(frozen=True)
class Face:
    path: str
    index: int


def money(value: Decimal) -> str:
    """``Decimal('-1234.5')`` → ``-¥1,234.50``, as every page of the product prints money."""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def _fc_match(style: str) -> Face | None:
    if shutil.which("fc-match") is None:
        return None
    pattern = _FAMILY + (":bold" if style == "B" else ":regular")
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split("\t")
    if len(parts) == 3 and "CJK" in parts[2] and Path(parts[0]).is_file():
        return Face(parts[0], int(parts[1] or 0))
    return None  # fc-match names its best other font when the family is missing


def _face_in(path: str) -> Face | None:
    """The Simplified Chinese face of a Noto CJK collection, picked by its family name."""
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(path, lazy=True)
    except Exception:  # not a collection, unreadable
        return None
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == _FAMILY:
            return Face(path, index)
    return None


@cache
def find_font(style: str = "") -> Face:
    """The Noto Sans CJK SC face for ``style`` ("" or "B"; bold falls back to the regular face)."""
    for s in (style, "") if style else ("",):
        face = _fc_match(s)
        if face is not None:
            return face
        for path in _KNOWN[s]:
            if Path(path).is_file() and (face := _face_in(path)) is not None:
                return face
    raise FontMissing(t("statement_pdf.error.font_missing", "en"))


class _Page:
    """One PDF being written; statements are appended one after another, each starting on a new page."""

    def __init__(self, lang: str, today: dt.date, as_of: dt.date | None) -> None:
        from fpdf import FPDF

        regular, bold = find_font(""), find_font("B")
        self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(LEFT, TOP, LEFT)
        self.pdf.add_font("cjk", "", regular.path, collection_font_number=regular.index)
        self.pdf.add_font("cjk", "B", bold.path, collection_font_number=bold.index)
        self.pdf.set_title(t("statement_pdf.title", lang))
        self.pdf.set_creator("KAM Metrics")
        self.lang, self.today, self.as_of = lang, today, as_of

    def w(self, key: str, **values: object) -> str:
        return t(f"statement_pdf.{key}", self.lang, **values)

    def font(self, size: float, bold: bool = False, color=INK) -> None:
        self.pdf.set_font("cjk", "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def text(self, x: float, y: float, width: float, text: str, align: str = "L", h: float = LINE) -> None:
        self.pdf.set_xy(x, y)
        self.pdf.cell(width, h, text, align=align)

    def wrap(self, width: float, text: str) -> list[str]:
        """``text`` broken into lines that fit ``width`` less the cell padding (the current font)."""
        if not text:
            return [""]
        return self.pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES")

    # --- one statement -------------------------------------------------------------------------------

    def statement(self, s: Statement) -> None:
        first = self.pdf.pages_count + 1
        self.pdf.add_page()
        self.y = self._header(s)
        for section in ("commission", "clawback", "fine", "adjustment"):
            self._section(s, section)
        if self.y + FOOT_ROOM > BOTTOM:
            self._continue(s)
        self._totals(s)
        self._signatures()
        self._footers(s, first, self.pdf.pages_count)

    def _header(self, s: Statement) -> float:
        pdf = self.pdf
        self.font(20, bold=True)
        self.text(LEFT, TOP, 120, self.w("title"), h=9)
        state = self.w("closed") if s.closed else self.w("provisional")
        color = CLOSED_INK if s.closed else OPEN_INK
        self.font(10.5, bold=True, color=color)
        width = pdf.get_string_width(state) + 8
        pdf.set_draw_color(*color)
        pdf.set_line_width(0.5)
        pdf.rect(LEFT + WIDTH - width, TOP + 1, width, 7.5, round_corners=True, corner_radius=1.2)
        self.text(LEFT + WIDTH - width, TOP + 1, width, state, align="C", h=7.5)
        y = TOP + 13
        fields = (("kam", s.kam), ("team", s.team or "—"), ("month", s.month))
        column = WIDTH / len(fields)
        for i, (key, value) in enumerate(fields):
            self.font(8, color=GREY)
            self.text(LEFT + i * column, y, column, self.w(f"field.{key}"))
            self.font(12.5, bold=True)
            self.text(LEFT + i * column, y + 4.6, column, value, h=6.5)
        y += 13
        self._rule(y, INK, 0.4)
        note = self.w("note_closed") if s.closed else self.w("note_provisional", as_of=_date(self.as_of))
        self.font(8.5, color=GREY)
        for line in self.wrap(WIDTH, note):
            self.text(LEFT, y + 1.5, WIDTH, line)
            y += LINE
        return y + 4

    def _continue(self, s: Statement) -> None:
        """A new page of the same statement: a one-line running head."""
        self.pdf.add_page()
        self.font(9, color=GREY)
        self.text(LEFT, TOP, WIDTH, self.w("continued", kam=s.kam, month=s.month))
        self._rule(TOP + 6, RULE, 0.3)
        self.y = TOP + 9

    def _rule(self, y: float, color, width: float, x0: float = LEFT, x1: float = LEFT + WIDTH) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(width)
        self.pdf.line(x0, y, x1, y)

    def _section(self, s: Statement, section: str) -> None:
        lines = s.lines_of(section)
        rows = [self._cells(section, line) for line in lines]
        if section in s.rest:  # one line spanning the text columns: the amount the lines cannot show
            rows.append([self.w("rest"), money(s.rest[section])])
        heading = self.w(f"section.{section}", count=len(lines))
        # The heading never ends a page alone: it needs room for the table head and one row.
        if self.y + 8 + 7 + (self._row_height(section, rows[0]) if rows else 7) > BOTTOM:
            self._continue(s)
        self.font(11, bold=True)
        self.text(LEFT, self.y, WIDTH, heading, h=6)
        self.y += 7.5
        if not rows:
            self.font(9, color=GREY)
            self.text(LEFT + 1.5, self.y, WIDTH, self.w(f"none.{section}"))
            self.y += LINE + 5
            return
        self._table_head(section)
        for cells in rows:
            height = self._row_height(section, cells)
            if self.y + height + 7 > BOTTOM:  # leave room for the subtotal after the last row
                self._continue(s)
                self.font(9, color=GREY)
                self.text(LEFT, self.y, WIDTH, self.w("section_continued", section=heading))
                self.y += 6
                self._table_head(section)
            self._row(section, cells, height)
        self.font(9, bold=True)
        amount_width = COLUMNS[section][-1][1]
        self.text(LEFT, self.y + 1, WIDTH - amount_width, self.w("subtotal"), align="R")
        self.text(LEFT + WIDTH - amount_width, self.y + 1, amount_width, money(s.totals[section]), align="R")
        self.y += LINE + 7

    def _table_head(self, section: str) -> None:
        self.pdf.set_fill_color(*SHADE)
        self.pdf.rect(LEFT, self.y, WIDTH, 6.2, style="F")
        self.font(8.5, bold=True, color=GREY)
        x = LEFT
        for key, width, align in COLUMNS[section]:
            self.text(x + 1.2, self.y + 0.8, width - 2.4, self.w(f"col.{key}"), align=align)
            x += width
        self.y += 6.2

    def _cells(self, section: str, line) -> list[str]:
        changed = self.w("changed") if getattr(line, "changed", False) else "—"
        if section in ("commission", "clawback"):
            values = {
                "signed": line.signed,
                "property": line.property,
                "customer": line.customer,
                "phone": line.phone,
                "type": t(f"type.{line.type}", self.lang) if line.type else changed,
                "cancelled": line.cancelled,
            }
        elif section == "fine":
            short = self._short(line.short) if line.short is not None else changed
            values = {"week": line.week, "days": line.days, "short": short}
        else:
            values = {
                "source_month": line.source_month,
                "kind": self.w(f"kind.{line.kind}"),
                "reason": line.reason,
            }
        values["amount"] = money(line.amount)
        return [values[key] for key, _, _ in COLUMNS[section]]

    def _short(self, short) -> str:
        if not short:
            return self.w("met")
        parts = [
            self.w("short", quota=self.w(f"quota.{q}"), missing=target - count) for q, count, target in short
        ]
        return self.w("short_joiner").join(parts)

    def _columns(self, section: str, cells: list[str]) -> list[tuple[float, str]]:
        """(width, align) of each cell: a row of two cells spans the text columns with its first."""
        columns = [(width, align) for _, width, align in COLUMNS[section]]
        if len(cells) == 2:
            return [(WIDTH - columns[-1][0], "L"), columns[-1]]
        return columns

    def _row_height(self, section: str, cells: list[str]) -> float:
        self.font(9)
        columns = self._columns(section, cells)
        most = max(len(self.wrap(width - 2.4, c)) for c, (width, _) in zip(cells, columns, strict=True))
        return most * LINE + 2 * PAD

    def _row(self, section: str, cells: list[str], height: float) -> None:
        x = LEFT
        for cell, (width, align) in zip(cells, self._columns(section, cells), strict=True):
            self.font(9)
            for i, line in enumerate(self.wrap(width - 2.4, cell)):
                self.text(x + 1.2, self.y + PAD + i * LINE, width - 2.4, line, align=align)
            x += width
        self.y += height
        self._rule(self.y, RULE, 0.2)

    def _totals(self, s: Statement) -> None:
        y = self.y + 2
        x, width = LEFT + WIDTH - 92, 92
        self.font(11, bold=True)
        self.text(x, y, width, self.w("totals"), h=6)
        y += 8
        self._rule(y, INK, 0.4, x, x + width)
        for key in TOTAL_ROWS:
            self.font(10)
            self.text(x + 1, y + 0.5, 60, self.w(f"total.{key}"), h=5.5)
            self.text(x + width - 41, y + 0.5, 40, money(s.totals[key]), align="R", h=5.5)
            y += TOTAL_ROW
        self._rule(y + 0.3, INK, 0.4, x, x + width)
        self._rule(y + 1.0, INK, 0.4, x, x + width)
        self.font(12.5, bold=True)
        self.text(x + 1, y + 2.2, 60, self.w("total.net"), h=7)
        self.text(x + width - 51, y + 2.2, 50, money(s.totals["net"]), align="R", h=7)
        notes = [self.w("signs")]
        if any(getattr(line, "changed", False) for sec in TOTAL_ROWS for line in s.lines_of(sec)):
            notes.append(self.w("changed_mark"))
        self.font(8, color=GREY)
        note_y = self.y + 10  # beside the totals, under their heading
        for note in notes:
            for line in self.wrap(WIDTH - width - 8, note):
                self.text(LEFT, note_y, WIDTH - width - 8, line, h=4)
                note_y += 4
            note_y += 2
        self.y = y + 11

    def _signatures(self) -> None:
        y = max(self.y + SIGN_GAP, BOTTOM - SIGN_H - 6)  # low on the page when there is room: room to sign
        column = WIDTH / len(SIGNERS)
        for i, who in enumerate(SIGNERS):
            x = LEFT + i * column
            self.font(9, color=GREY)
            self.text(x, y, column - 8, self.w(f"sign.{who}"))
            self._rule(y + 14, INK, 0.3, x + 1, x + column - 10)  # from where the label's text starts
            self.text(x, y + 17, 14, self.w("sign.date"))
            self._rule(y + 21.5, INK, 0.3, x + 14, x + column - 10)
        self.y = y + SIGN_H

    def _footers(self, s: Statement, first: int, last: int) -> None:
        """Page numbers of this statement ("第 1 / 2 页"), written once its page count is known."""
        current = self.pdf.page
        for page in range(first, last + 1):
            self.pdf.page = page
            # fpdf2 keeps one font/colour state for the whole document and writes only changes, so back on an
            # earlier page nothing would be written: set other values first to have ours written on this page.
            self.pdf.set_draw_color(255)
            self.pdf.set_line_width(1)
            self.font(1, bold=True, color=(255, 255, 255))
            self._rule(H - 14, RULE, 0.3)
            self.font(8, color=GREY)
            left = self.w(
                "generated", today=_date(self.today), as_of=_date(self.as_of), kam=s.kam, month=s.month
            )
            self.text(LEFT, H - 12.5, WIDTH - 40, left)
            number = self.w("page", page=page - first + 1, pages=last - first + 1)
            self.text(LEFT + WIDTH - 40, H - 12.5, 40, number, align="R")
        self.pdf.page = current

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _date(value: dt.date | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d}"


def statement_pdf(results, kam: str, month: str, lang: str, *, today: dt.date | None = None) -> bytes:
    """The 结算单 of ``kam`` for ``month`` (YYYY-MM) from ``results`` as seen by whoever asks (already scoped).

    Raises NoStatement when ``results`` holds no statement row for them, FontMissing without a CJK font."""
    s = statement_of(results, kam, month, lang)
    page = _Page(lang, today or dt.date.today(), results.as_of)
    page.statement(s)
    return page.output()


def month_pdf(
    results, month: str, lang: str, kams: list[str] | None = None, *, today: dt.date | None = None
) -> bytes:
    """Every statement of ``month`` (or those of ``kams``, in that order) as one PDF, each from a new page.

    Raises NoStatement when the month has no statement row (or one of ``kams`` has none for it)."""
    rows = results.statement
    if kams is None:
        kams = sorted(set(rows.loc[rows["month"] == month, "kam"].tolist()))
        if not kams:
            raise NoStatement("empty_month", month=month)
    statements = [statement_of(results, kam, month, lang) for kam in kams]
    page = _Page(lang, today or dt.date.today(), results.as_of)
    for s in statements:
        page.statement(s)
    return page.output()
