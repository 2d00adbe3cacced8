"""Writes a corpus of bad and strange input files, each with the outcome SPEC §2 expects of ingest.

Usage from a test (this folder is not a package)::

    sys.path.insert(0, str(Path(__file__).parent / "data" / "bad"))
    from make_corpus import make_corpus
    cases = make_corpus(tmp_path)              # about 50 files, a few seconds
    cases = make_corpus(tmp_path, include_big=True)   # adds the 1,048,576-row workbook

Every file is deterministic (fixed zip timestamps and document properties; the encrypted file's
salt comes from a seeded generator), so generating twice gives identical bytes.

``python make_corpus.py OUT_DIR`` writes the corpus; ``python make_corpus.py --readme`` rewrites
README.md from the case list.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import openpyxl
import xlsxwriter
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from msoffcrypto.method import ecma376_agile
from msoffcrypto.method.container import ecma376_encrypted

OUTCOMES = ("refused", "partial")
REFUSALS = ("not_spreadsheet", "corrupt", "encrypted", "too_large_uncompressed", "empty", "encoding")

# The engine's default cap is 100 MB; the bomb's sheet XML is more than twice that.
ZIP_BOMB_UNCOMPRESSED = 210_000_000
EXCEL_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Case:
    """One corpus file and what ingest must make of it.

    ``expect`` is keyed by SHEET NAME (a CSV's sheet name is its file name without extension); each
    value holds the sheet ``kind`` and the counts of data rows (SPEC §2: a row whose cells are all
    missing is not a data row) ``read`` = ``accepted`` + ``rejected``, and ``warnings`` (warning
    records, one per row and column). A sheet not in ``expect`` must not yield any row; the sheets
    named in ``ignored`` must be ignored with a note. ``stored`` optionally gives, per sheet, the
    normalised values of the accepted rows in row order (only the fields listed). ``settings`` are
    ingest settings the case needs instead of the defaults.
    """

    name: str
    description: str
    outcome: str
    refusal: str | None = None
    expect: dict[str, dict[str, object]] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    notes: str = ""
    big: bool = False
    stored: dict[str, list[dict[str, str]]] | None = None
    settings: dict[str, int] = field(default_factory=dict)

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        """The expectations summed per sheet kind."""
        out: dict[str, dict[str, int]] = {}
        for exp in self.expect.values():
            acc = out.setdefault(str(exp["kind"]), {"read": 0, "accepted": 0, "rejected": 0, "warnings": 0})
            for key in acc:
                acc[key] += int(exp[key])  # type: ignore[arg-type]
        return out


def _e(kind: str, read: int, accepted: int, rejected: int = 0, warnings: int = 0) -> dict[str, object]:
    assert accepted + rejected == read, (kind, read, accepted, rejected)
    return {"kind": kind, "read": read, "accepted": accepted, "rejected": rejected, "warnings": warnings}


# ---------------------------------------------------------------------------------------------
# Shared data

LEADS = "报备"
H_LEADS = ["报备时间", "大客户经理", "客户姓名", "手机号"]
H_VISITS = ["到访时间", "大客户经理", "客户姓名", "手机号", "人数", "接待置业顾问"]
H_DEALS = [
    "成交日期",
    "客户姓名",
    "手机号",
    "房号",
    "成交金额",
    "置业顾问",
    "置业顾问佣金",
    "状态",
    "退房日期",
]
KAMS = ("王伟", "李娜", "张敏")
CUSTOMERS = ("张三", "李四", "王五", "赵六", "陈七")
BASE = dt.datetime(2026, 3, 2, 10, 0)  # a Monday
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TITLE = "保利国际广场客户报备表"


def _phone(i: int) -> str:
    return f"138{i:08d}"


def _serial(value: dt.datetime | dt.date) -> float:
    """Excel 1900-system serial number."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400


def _lead(i: int) -> list[object]:
    """One valid lead row with real date cells."""
    return [BASE + dt.timedelta(minutes=i), KAMS[i % 3], CUSTOMERS[i % 5], _phone(i)]


def _lead_text(i: int) -> list[str]:
    """One valid lead row, all text (for CSV)."""
    return [
        (BASE + dt.timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M"),
        KAMS[i % 3],
        CUSTOMERS[i % 5],
        _phone(i),
    ]


# ---------------------------------------------------------------------------------------------
# Writers


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``value`` is the cached result (xlsxwriter) or None (openpyxl: no cached value)."""

    formula: str
    value: object = None


@dataclass(frozen=True)
class Blank:
    """A formatted cell without a value."""


@dataclass(frozen=True)
class TextCell:
    """Force a text cell even for a value that looks like a number."""

    text: str


@dataclass
class SheetSpec:
    name: str
    rows: list[list[object]]
    hidden: str = ""  # "", "hidden", "very_hidden"
    merges: list[tuple[str, object]] = field(default_factory=list)  # (range, value)


def _xlsx_bytes(sheets: list[SheetSpec], constant_memory: bool = False) -> bytes:
    buf = io.BytesIO()
    _write_xlsx(buf, sheets, constant_memory)
    return buf.getvalue()


def _write_xlsx(target: object, sheets: list[SheetSpec], constant_memory: bool = False) -> None:
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "constant_memory": constant_memory}
    if isinstance(target, io.BytesIO):
        options["in_memory"] = True
    wb = xlsxwriter.Workbook(target, options)
    wb.set_properties({"created": FIXED_TIME, "author": "kam-metrics corpus"})
    datetime_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    blank_fmt = wb.add_format({"bg_color": "#FFFF00"})
    first_visible = None
    for spec in sheets:
        ws = wb.add_worksheet(spec.name)
        if spec.hidden == "hidden":
            ws.hide()
        elif spec.hidden == "very_hidden":
            ws.very_hidden()
        elif first_visible is None:
            first_visible = ws
        for rng, value in spec.merges:
            ws.merge_range(rng, value)
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, Formula):
                    fmt = (
                        date_fmt
                        if isinstance(value.value, float | int) and value.formula.startswith("=DATE")
                        else None
                    )
                    ws.write_formula(r, c, value.formula, fmt, value.value)
                elif isinstance(value, Blank):
                    ws.write_blank(r, c, None, blank_fmt)
                elif isinstance(value, TextCell):
                    ws.write_string(r, c, value.text)
                elif isinstance(value, dt.datetime):
                    ws.write_datetime(r, c, value, datetime_fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    if first_visible is not None:
        first_visible.activate()
    wb.close()


def _normalise_zip(data: bytes, transform: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """Rewrite a zip with fixed timestamps (and fixed document dates), optionally transforming parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>2026-01-01T00:00:00Z\g<2>",
                    content,
                )
            if transform is not None:
                content = transform(info.filename, content)
            zinfo = zipfile.ZipInfo(info.filename, ZIP_TIME)
            zinfo.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(zinfo, content)
    return out.getvalue()


def _openpyxl_bytes(fill: Callable[[openpyxl.Workbook], None]) -> bytes:
    wb = openpyxl.Workbook()
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "kam-metrics corpus"
    fill(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n") -> str:
    def quote(cell: str) -> str:
        if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    return "".join(delimiter.join(quote(c) for c in row) + newline for row in rows)


def _xls_bytes(sheets: list[SheetSpec]) -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    datetime_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for spec in sheets:
        ws = wb.add_sheet(spec.name)
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    ws.write(r, c, value, datetime_style)
                elif isinstance(value, dt.date):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00", 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _zip_of(parts: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in parts:
            zinfo = zipfile.ZipInfo(name, ZIP_TIME)
            zinfo.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(zinfo, content)
    return out.getvalue()


def _leads_workbook(n: int = 3, name: str = LEADS) -> bytes:
    return _xlsx_bytes([SheetSpec(name, [H_LEADS] + [_lead(i) for i in range(n)])])


# ---------------------------------------------------------------------------------------------
# Cases. Each builder writes its file into the folder and returns its Case.

Builder = Callable[[Path], Case]
BUILDERS: list[Builder] = []


def case(fn: Builder) -> Builder:
    BUILDERS.append(fn)
    return fn


# --- refused: not a spreadsheet ---------------------------------------------------------------


@case
def png_renamed(out: Path) -> Case:
    name = "png_renamed.xlsx"
    (out / name).write_bytes(_png_bytes())
    return Case(name, "A 1x1 PNG image renamed to .xlsx.", "refused", "not_spreadsheet")


@case
def text_renamed(out: Path) -> Case:
    name = "text_renamed.xlsx"
    text = _csv_text([H_LEADS] + [_lead_text(i) for i in range(3)])
    (out / name).write_bytes(text.encode("utf-8"))
    return Case(
        name,
        "A UTF-8 CSV text renamed to .xlsx (not a zip).",
        "refused",
        "not_spreadsheet",
        notes="The extension decides the format: an .xlsx that is not a zip is not a spreadsheet.",
    )


@case
def docx_renamed(out: Path) -> Case:
    name = "docx_renamed.xlsx"
    ct = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    doc = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>报备时间 大客户经理 客户姓名 手机号</w:t></w:r></w:p></w:body></w:document>"
    )
    data = _zip_of(
        [
            ("[Content_Types].xml", ct.encode()),
            ("_rels/.rels", rels.encode()),
            ("word/document.xml", doc.encode()),
        ]
    )
    (out / name).write_bytes(data)
    return Case(
        name,
        "A Word document (a valid OOXML zip without xl/workbook.xml) renamed to .xlsx.",
        "refused",
        "not_spreadsheet",
        notes="A readable zip that holds no workbook is 'not a spreadsheet', not 'corrupt'.",
    )


@case
def html_table_xls(out: Path) -> Case:
    name = "html_table.xls"
    rows = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in [H_LEADS] + [_lead_text(0)]
    )
    html = f'<html><head><meta charset="utf-8"></head><body><table>{rows}</table></body></html>'
    (out / name).write_bytes(html.encode("utf-8"))
    return Case(
        name,
        "An HTML table saved as .xls (what many web systems export): read from its first table.",
        "partial",
        expect={"html_table": _e("leads", 1, 1)},
    )


# --- refused: corrupt -------------------------------------------------------------------------


@case
def truncated_xlsx(out: Path) -> Case:
    name = "truncated.xlsx"
    data = _leads_workbook(200)
    (out / name).write_bytes(data[: len(data) // 2])
    return Case(name, "A valid .xlsx cut in half (no central directory).", "refused", "corrupt")


@case
def malformed_sheet_xml(out: Path) -> Case:
    name = "malformed_sheet_xml.xlsx"

    def cut(part: str, content: bytes) -> bytes:
        return content[: len(content) // 2] if part == "xl/worksheets/sheet1.xml" else content

    (out / name).write_bytes(_normalise_zip(_leads_workbook(50), cut))
    return Case(
        name,
        "A valid zip whose xl/worksheets/sheet1.xml is cut in the middle (XML not well-formed).",
        "refused",
        "corrupt",
    )


@case
def truncated_xls(out: Path) -> Case:
    name = "truncated.xls"
    data = _xls_bytes([SheetSpec(LEADS, [H_LEADS] + [_lead(i) for i in range(200)])])
    (out / name).write_bytes(data[: len(data) // 2])
    return Case(name, "A legacy .xls (OLE2) cut in half.", "refused", "corrupt")


# --- refused: encrypted, too large, empty, encoding -------------------------------------------


@case
def encrypted(out: Path) -> Case:
    name = "encrypted.xlsx"
    plain = io.BytesIO(_leads_workbook(3))
    encrypted_buf = io.BytesIO()
    rng = random.Random(20260302)
    filetime = ecma376_encrypted.datetime2filetime(FIXED_TIME)
    # Seeded salt and key and a fixed OLE timestamp, so the file is byte-for-byte reproducible
    # (test data, not security).
    with (
        mock.patch.object(ecma376_agile, "_random_buffer", lambda size: rng.randbytes(size)),
        mock.patch.object(ecma376_encrypted, "datetime2filetime", lambda _now: filetime),
    ):
        OOXMLFile(plain).encrypt("secret", encrypted_buf)
    (out / name).write_bytes(encrypted_buf.getvalue())
    return Case(
        name,
        "A leads workbook encrypted with the password 'secret' (ECMA-376 agile encryption, an OLE2 container).",
        "refused",
        "encrypted",
    )


@case
def zip_bomb(out: Path) -> Case:
    name = "zip_bomb.xlsx"
    template = _leads_workbook(1)
    header = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1">'
        + "".join(
            f'<c r="{col}1" t="inlineStr"><is><t>{h}</t></is></c>'
            for col, h in zip("ABCD", H_LEADS, strict=True)
        )
        + "</row>"
    ).encode("utf-8")
    footer = b"</sheetData></worksheet>"
    # Rows without r= are legal; each holds one 32,000-character cell (under Excel's 32,767 limit).
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 32000 + b"</t></is></c></row>"
    n_rows = (ZIP_BOMB_UNCOMPRESSED - len(header) - len(footer)) // len(row) + 1
    target = out / name
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            zinfo = zipfile.ZipInfo(info.filename, ZIP_TIME)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(zinfo, src.read(info.filename), compresslevel=9)
                continue
            # ZipFile.open(mode="w") takes the level from the ZipInfo (renamed in Python 3.13).
            level_attr = (
                "compress_level" if "compress_level" in zipfile.ZipInfo.__slots__ else "_compresslevel"
            )
            setattr(zinfo, level_attr, 9)
            with dst.open(zinfo, "w") as f:
                f.write(header)
                for _ in range(n_rows):
                    f.write(row)
                f.write(footer)
    size = len(header) + len(footer) + n_rows * len(row)
    return Case(
        name,
        f"A {target.stat().st_size:,}-byte .xlsx whose xl/worksheets/sheet1.xml decompresses to {size:,} bytes "
        f"({n_rows:,} rows of one 32,000-character cell); the zip states the true sizes.",
        "refused",
        "too_large_uncompressed",
        notes="Refused before any XML is parsed: it expands beyond 100 MB and more than 200x its own size "
        "(decisions.md 6, 9c); the message names that limit (100.0 MB). KAM_MAX_UNCOMPRESSED_MB caps every "
        "workbook (default 1 GiB).",
    )


@case
def zero_bytes_xlsx(out: Path) -> Case:
    name = "zero_bytes.xlsx"
    (out / name).write_bytes(b"")
    return Case(name, "A 0-byte .xlsx.", "refused", "empty")


@case
def zero_bytes_csv(out: Path) -> Case:
    name = "zero_bytes.csv"
    (out / name).write_bytes(b"")
    return Case(name, "A 0-byte .csv.", "refused", "empty")


@case
def bad_encoding_csv(out: Path) -> Case:
    name = "bad_encoding.csv"
    text = _csv_text([H_LEADS] + [_lead_text(i) for i in range(2)]).encode("utf-8")
    data = text + b"2026-03-02 10:05,\xff\xfe\xff,\x80\xff,13800000009\r\n"
    (out / name).write_bytes(data)
    return Case(
        name,
        "A CSV that is neither UTF-8 nor GB18030 (bytes 0xFF/0x80 in a data row; no BOM).",
        "refused",
        "encoding",
        notes="Refused whole rather than decoded with replacement characters (SPEC lists the accepted encodings).",
    )


# --- partial: workbook structure --------------------------------------------------------------


@case
def empty_workbook(out: Path) -> Case:
    name = "empty_workbook.xlsx"
    _write_xlsx(str(out / name), [SheetSpec("Sheet1", [])])
    return Case(
        name,
        "A workbook with one sheet and no cells.",
        "partial",
        expect={},
        ignored=("Sheet1",),
        notes="Not refused: the file is a readable workbook; its only sheet has no header row and is ignored with a note.",
    )


@case
def header_only(out: Path) -> Case:
    name = "header_only.xlsx"
    _write_xlsx(str(out / name), [SheetSpec(LEADS, [H_LEADS])])
    return Case(name, "Sheet 报备 holding only the header row.", "partial", expect={LEADS: _e("leads", 0, 0)})


def _titles(n: int) -> list[list[object]]:
    lines = [
        TITLE,
        "制表单位：营销策划部",
        "制表日期：2026年3月1日",
        "说明：本表每周一上午提交",
        "审核人：刘经理",
    ]
    lines += [f"备注第{i}行" for i in range(len(lines) + 1, n + 1)]
    return [[line] for line in lines[:n]]


@case
def header_row5(out: Path) -> Case:
    name = "header_row5.xlsx"
    rows = _titles(4) + [H_LEADS] + [_lead(i) for i in range(3)]
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name, "Title rows 1-4 above the header in row 5.", "partial", expect={LEADS: _e("leads", 3, 3)}
    )


@case
def header_row10(out: Path) -> Case:
    name = "header_row10.xlsx"
    rows = _titles(9) + [H_LEADS] + [_lead(i) for i in range(3)]
    _write_xlsx(str(out / name), [SheetSpec("Sheet1", rows)])
    return Case(
        name,
        "Nine non-empty title rows; the header is in row 10, the last row searched. Sheet named Sheet1 "
        "(recognised by its header).",
        "partial",
        expect={"Sheet1": _e("leads", 3, 3)},
    )


@case
def header_row11(out: Path) -> Case:
    name = "header_row11.xlsx"
    rows = _titles(10) + [H_LEADS] + [_lead(i) for i in range(3)]
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "Ten non-empty title rows; the header is in row 11, one past the search window. The sheet is even "
        "named 报备: a name alone does not make a header.",
        "partial",
        expect={},
        ignored=(LEADS,),
        notes="Sheet ignored: no header row in the first 10 rows.",
    )


@case
def merged_headers(out: Path) -> Case:
    name = "merged_headers.xlsx"
    rows: list[list[object]] = [[], [], [None, None, None, None, None]]
    rows[2] = ["报备时间", "大客户经理", "客户姓名", None, None]  # D3:E3 merged below
    rows += [_lead(i) for i in range(3)]
    merges = [("A1:E1", TITLE), ("A2:B2", "报备信息"), ("C2:E2", "客户信息"), ("D3:E3", "手机号")]
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows, merges=merges)])
    return Case(
        name,
        "A merged title A1:E1, merged group cells in row 2 (报备信息, 客户信息), header in row 3 with 手机号 "
        "merged across D3:E3; phones in column D, column E empty.",
        "partial",
        expect={LEADS: _e("leads", 3, 3)},
    )


@case
def merged_data_cells(out: Path) -> Case:
    name = "merged_data_cells.xlsx"
    rows: list[list[object]] = [H_LEADS]
    for i in range(4):
        r = _lead(i)
        if i < 3:
            r[1] = None  # B2:B4 is one merged cell holding the value in B2
        rows.append(r)
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows, merges=[("B2:B4", KAMS[0])])])
    return Case(
        name,
        "大客户经理 merged vertically across B2:B4 (one KAM for three rows); row 5 is ordinary.",
        "partial",
        expect={LEADS: _e("leads", 4, 2, 2)},
        notes="Decision: merged ranges are not filled down (the value lives only in B2), so rows 3 and 4 miss "
        "kam and are rejected; the rejection tells the user why.",
    )


@case
def duplicate_columns(out: Path) -> Case:
    name = "duplicate_columns.xlsx"
    header = [*H_LEADS, "手机号", "电话"]
    rows: list[list[object]] = [header]
    rows.append([*_lead(0), "not a phone", "also not"])  # first 手机号 valid -> accepted
    rows.append([*_lead(1), _phone(99), _phone(98)])  # first valid -> accepted
    r = _lead(2)
    r[3] = None
    rows.append([*r, _phone(2), _phone(2)])  # first 手机号 empty -> phone missing -> rejected
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "Three phone columns (手机号, 手机号, 电话): the first wins. Row 4 has the first one empty and the "
        "others valid.",
        "partial",
        expect={LEADS: _e("leads", 3, 2, 1)},
        notes="'The first wins' maps the column, not a per-row fallback: row 4 is rejected (phone missing).",
    )


@case
def formulas_cached(out: Path) -> Case:
    name = "formulas_cached.xlsx"
    rows: list[list[object]] = [H_LEADS]
    rows.append(
        [
            Formula("=DATE(2026,3,2)+TIME(10,0,0)", _serial(BASE)),
            Formula('="王"&"伟"', "王伟"),
            Formula('="张"&"三"', "张三"),
            Formula('="138"&"00000001"', "13800000001"),
        ]
    )
    rows.append(
        [
            Formula("=DATE(2026,3,2)", _serial(BASE.date())),
            "李娜",
            "李四",
            Formula("=13800000000+2", 13800000002),
        ]
    )
    rows.append([_lead(3)[0], Formula("=B3", "李娜"), Formula('=""', ""), _phone(3)])
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "Formula cells written by xlsxwriter with cached values (dates, text, a numeric phone, an empty-string "
        "customer name).",
        "partial",
        expect={LEADS: _e("leads", 3, 3)},
        notes="The cached value is the cell's value.",
    )


@case
def formulas_uncached(out: Path) -> Case:
    name = "formulas_uncached.xlsx"

    def fill(wb: openpyxl.Workbook) -> None:
        ws = wb.active
        ws.title = LEADS
        ws.append(H_LEADS)
        ws.append([BASE, "王伟", "张三", '="138"&"00000001"'])  # required phone: rejected, naming 报备!D2
        ws.append(["=DATE(2026,3,2)", "李娜", "李四", _phone(2)])  # required date: rejected, naming 报备!A3
        ws.append([BASE, "张敏", '="王"&"五"', _phone(3)])  # optional name: accepted with a warning (报备!C4)
        ws.append([BASE, "王伟", "赵六", _phone(4)])  # plain -> accepted
        ws.append(["=A5", "=B5", "=C5", "=D5"])  # every cell missing -> not a data row
        for row in ws.iter_rows(min_row=2, max_col=1):
            for cell in row:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"

    (out / name).write_bytes(_openpyxl_bytes(fill))
    return Case(
        name,
        "Formula cells written by openpyxl, which stores no cached value: a formula phone, a formula date, a "
        "formula customer name, and a row of formulas only.",
        "partial",
        expect={LEADS: _e("leads", 4, 2, 2, 1)},
        notes="A formula without a saved value is a rejection (formula_no_value, naming the cell, with the advice "
        "to open and save the file in a spreadsheet program) in a required column and a warning in an optional "
        "one; row 6 is all formulas, so not a data row.",
    )


@case
def error_cells(out: Path) -> Case:
    name = "error_cells.xlsx"

    def fill(wb: openpyxl.Workbook) -> None:
        ws = wb.active
        ws.title = LEADS
        ws.append(H_LEADS)
        ws.append([BASE, "王伟", "张三", "#N/A"])  # openpyxl stores error codes as error cells
        ws.append(["#VALUE!", "李娜", "李四", _phone(2)])
        ws.append([BASE, "张敏", "王五", _phone(3)])
        assert ws["D2"].data_type == "e" and ws["A3"].data_type == "e"

    (out / name).write_bytes(_openpyxl_bytes(fill))
    return Case(
        name,
        "Error cells (#N/A in 手机号, #VALUE! in 报备时间) in required columns.",
        "partial",
        expect={LEADS: _e("leads", 3, 1, 2)},
        notes="Whether an error cell counts as missing or unreadable, a required one rejects the row.",
    )


@case
def numbers_as_text(out: Path) -> Case:
    name = "numbers_as_text.xlsx"
    leads: list[list[object]] = [H_LEADS]
    leads.append(["2026-03-02 10:00", "王伟", "张三", TextCell("13800000001")])  # all text -> accepted
    leads.append([BASE, "李娜", "李四", 13800000002])  # phone as an integer number cell
    leads.append([BASE, "张敏", "王五", 13800000003.0])  # phone as a float number cell
    leads.append([_serial(BASE), "王伟", "赵六", _phone(4)])  # date as a bare serial number (General format)
    leads.append([TextCell("46083"), "李娜", "陈七", _phone(5)])  # serial as text: a serial in every format
    deals: list[list[object]] = [H_DEALS]
    d = dt.date(2026, 3, 5)
    deals.append([d, "张三", _phone(1), "1-1201", 1234567, "刘洋", "¥4,000元", None, None])
    deals.append([d, "李四", _phone(2), "1-1202", "1,234,567元", "刘洋", "￥4000.50", None, None])
    deals.append([d, "王五", _phone(3), 1203, "￥1,500,000.00", "刘洋", 4000, None, None])
    deals.append([d, "赵六", _phone(4), "1-1204", 1000000, "刘洋", "四千元", None, None])  # rejected
    deals.append([d, "陈七", _phone(5), "1-1205", "约100万", "刘洋", "3,500", None, None])  # warning
    deals.append(["2026/3/5", "孙八", _phone(6), "1-1206", None, "刘洋", TextCell("2000"), None, None])
    _write_xlsx(str(out / name), [SheetSpec(LEADS, leads), SheetSpec("成交", deals)])
    return Case(
        name,
        "Numbers stored as text and text as numbers. 报备: text date and phone, phones as number cells "
        "(13800000002 and 13800000003.0), a date as a bare serial number, and a serial as text '46083'. "
        "成交: commissions '¥4,000元', '￥4000.50', 4000 (number), '四千元' (rejected), '3,500', text '2000'; "
        "amount '约100万' (warning); 房号 as a number cell 1203.",
        "partial",
        expect={LEADS: _e("leads", 5, 5), "成交": _e("deals", 6, 5, 1, 1)},
        notes="Updated to the engine's decision (decisions.md 11): numeric text in a date column is an Excel "
        "serial in every format, not only CSV (a date cell whose format was lost shows exactly such a number), "
        "so row 6 of 报备 (text '46083' = 2026-03-02) is accepted. An unreadable optional amount is a warning.",
    )


# Dates: (value, accepted). Values are written as they are; TextCell/str are text cells.
def _date_values() -> list[tuple[object, bool]]:
    return [
        (BASE.date(), True),  # real date cell, date-only
        (dt.datetime(2026, 3, 2, 9, 5, 30), True),  # real date-time cell
        (_serial(BASE.date()), True),  # serial number
        (_serial(BASE.date()) + 0.5, True),  # serial number with a time (12:00)
        ("2026-03-02", True),
        ("2026-03-02 9:05", True),
        ("2026-03-02 09:05:30", True),
        ("2026-03-02T09:05", True),
        ("2026-03-02T09:05:30", True),
        ("2026/03/02", True),
        ("2026/3/2", True),
        ("2026/3/2 14:30", True),
        ("2026/03/02 14:30:59", True),
        ("2026.03.02", True),
        ("2026.3.2 8:00:00", True),
        ("2026.03.02T08:00", True),
        ("2026年3月2日", True),
        ("2026年03月02日", True),
        ("2026年3月2日 9:30", True),
        ("2026年3月2日9:30", True),
        ("2026年3月2日09:30:15", True),
        ("２０２６－０３－０２　１０：００", True),  # full-width: NFKC gives 2026-03-02 10:00
        ("  2026-03-02  ", True),  # trimmed
        ("2026-02-30", False),
        ("2026-13-01", False),
        ("2026-03-02 25:00", False),
        ("2026-03-02 12:60", False),
        ("2026年2月30日", False),
        ("next Tuesday", False),
        ("02/03/2026", False),
        ("下周二", False),
    ]


@case
def dates_xlsx(out: Path) -> Case:
    name = "dates.xlsx"
    values = _date_values()
    rows: list[list[object]] = [H_LEADS]
    for i, (value, _) in enumerate(values):
        rows.append(
            [TextCell(value) if isinstance(value, str) else value, KAMS[i % 3], CUSTOMERS[i % 5], _phone(i)]
        )
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    ok = sum(1 for _, good in values if good)
    return Case(
        name,
        "Every date form of SPEC §2 in 报备时间: date and date-time cells, serial numbers (with and without a "
        "fraction), YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日 with H:MM / H:MM:SS after a space, 'T' or "
        "directly after 日, full-width digits, padding; then invalid ones: 2026-02-30, 2026-13-01, 25:00, 12:60, "
        "2026年2月30日, 'next Tuesday', 02/03/2026, 下周二.",
        "partial",
        expect={LEADS: _e("leads", len(values), ok, len(values) - ok)},
        notes="'1-2 digit month and day' is read as applying to every form (2026/3/2 is what Chinese Excel "
        "shows). DD/MM/YYYY is not a listed form, so it is rejected.",
    )


@case
def dates_csv(out: Path) -> Case:
    name = "dates.csv"
    values = [(v, ok) for v, ok in _date_values() if isinstance(v, str)]
    values += [("46083", True), ("46083.5", True), ("46083.416667", True)]
    rows = [H_LEADS] + [[v, KAMS[i % 3], CUSTOMERS[i % 5], _phone(i)] for i, (v, _) in enumerate(values)]
    (out / name).write_bytes(_csv_text(rows).encode("utf-8"))
    ok = sum(1 for _, good in values if good)
    return Case(
        name,
        "The text date forms of dates.xlsx in a UTF-8 CSV, plus serial numbers as numeric text "
        "(46083, 46083.5, 46083.416667), which SPEC allows in CSV.",
        "partial",
        expect={"dates": _e("leads", len(values), ok, len(values) - ok)},
        notes="Sheet name 'dates' is no alias: recognised by its header.",
    )


def _phone_values() -> list[tuple[object, str | None]]:
    """(cell value, stored phone or None when rejected)."""
    return [
        ("139abc00001111", "13900001111"),
        ("1390000222", None),  # 10 digits
        ("139000033333", None),  # 12 digits
        ("010-12345678", None),  # landline: 11 digits starting with 0
        ("12345678901", None),  # 11 digits, not 1[3-9]
        ("139\u200b0000\u200b4444", "13900004444"),  # zero-width spaces
        ("+86 139 0000 5555", "13900005555"),
        ("0086-13900006666", "13900006666"),
        ("8613900007777", "13900007777"),
        ("１３９００００８８８８", "13900008888"),  # full-width digits
        ("13900009999.0", "13900009999"),  # float-looking text
        (13900001234.0, "13900001234"),  # number cell
        ("139-0000-1235", "13900001235"),
        ("(+86)13900001236", "13900001236"),
        ("13900001237 / 13900001238", None),  # two phones: 22 digits
        ("  13900001239  ", "13900001239"),
        ("\u00a013900001240", "13900001240"),  # no-break space
        ("11900001242", None),  # second digit 1
    ]


@case
def phones(out: Path) -> Case:
    name = "phones.xlsx"
    values = _phone_values()
    rows: list[list[object]] = [H_LEADS]
    for i, (value, _) in enumerate(values):
        rows.append([BASE + dt.timedelta(minutes=i), KAMS[i % 3], CUSTOMERS[i % 5], value])
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    stored = [{"phone": p} for _, p in values if p is not None]
    return Case(
        name,
        "Phone forms: letters inside (139abc00001111 -> digits 13900001111), 10 and 12 digits, a landline "
        "010-12345678, 12345678901, zero-width spaces, +86 / 0086 / 86 prefixes, full-width digits, "
        "'13900009999.0' as text, 13900001234.0 as a number cell, dashes, '(+86)', two phones in one cell, "
        "padding, a no-break space, 11900001242.",
        "partial",
        expect={LEADS: _e("leads", len(values), len(stored), len(values) - len(stored))},
        stored={LEADS: stored},
        notes="'Keep digits only' turns 139abc00001111 into a valid 13900001111, so it is accepted; "
        "'13900009999.0' drops the .0 first (otherwise 12 digits).",
    )


@case
def names(out: Path) -> Case:
    name = "names.xlsx"
    values = [
        ("王\u3000伟", "张三😀", "王伟", "张三😀"),
        ("  李 娜  ", "John\u3000\u3000Smith", "李娜", "John Smith"),
        ("😀", "王 小 明", "😀", "王小明"),
        ("ＡＢＣ", "李\t四", "ABC", "李四"),
        ("王 伟 Tom", "张 😀 三", "王伟 Tom", "张 😀 三"),
        ("\u3000\u3000", "赵六", None, None),  # kam only full-width spaces -> missing -> rejected
    ]
    rows: list[list[object]] = [H_LEADS]
    for i, (kam, cust, _, _) in enumerate(values):
        rows.append([BASE + dt.timedelta(minutes=i), kam, cust, _phone(i)])
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    stored = [{"kam": k, "customer_name": c} for _, _, k, c in values if k is not None]
    return Case(
        name,
        "Names with full-width spaces (U+3000), tabs, emoji, full-width letters, spaces between Han characters; "
        "one KAM cell holding only full-width spaces.",
        "partial",
        expect={LEADS: _e("leads", len(values), len(stored), len(values) - len(stored))},
        stored={LEADS: stored},
        notes="White space is removed only between two Han characters; emoji are kept.",
    )


# --- CSV encodings and dialects -----------------------------------------------------------------


def _csv_case(out: Path, stem: str, data: bytes, description: str, n: int = 3, notes: str = "") -> Case:
    name = f"{stem}.csv"
    (out / name).write_bytes(data)
    return Case(name, description, "partial", expect={stem: _e("leads", n, n)}, notes=notes)


def _leads_csv(delimiter: str = ",", n: int = 3) -> str:
    return _csv_text([H_LEADS] + [_lead_text(i) for i in range(n)], delimiter)


_BY_HEADER = "The name is no alias: recognised by its header row."


@case
def csv_utf16(out: Path) -> Case:
    return _csv_case(
        out,
        "报备_utf16",
        _leads_csv().encode("utf-16"),
        "UTF-16 LE with BOM, comma-delimited.",
        notes="SPEC names UTF-8 and GB18030 only; decided: a UTF-16 BOM is unambiguous (Excel's 'Unicode text'), "
        "so it is read. " + _BY_HEADER,
    )


@case
def csv_gb18030(out: Path) -> Case:
    return _csv_case(
        out,
        "报备_gb18030",
        _leads_csv().encode("gb18030"),
        "GB18030 (as saved by Chinese Excel/WPS).",
        notes=_BY_HEADER,
    )


@case
def csv_utf8_bom(out: Path) -> Case:
    return _csv_case(
        out, "报备_utf8bom", _leads_csv().encode("utf-8-sig"), "UTF-8 with BOM.", notes=_BY_HEADER
    )


@case
def csv_semicolon(out: Path) -> Case:
    return _csv_case(
        out,
        "报备_semicolon",
        _leads_csv(";").encode("utf-8"),
        "';'-delimited UTF-8 (European Excel).",
        notes="The delimiter is sniffed among , ; tab. " + _BY_HEADER,
    )


@case
def csv_tab(out: Path) -> Case:
    return _csv_case(
        out,
        "报备_tab",
        _leads_csv("\t").encode("utf-8"),
        "Tab-delimited UTF-8 with a .csv name.",
        notes=_BY_HEADER,
    )


@case
def csv_title_row(out: Path) -> Case:
    text = _csv_text([[TITLE, "", "", ""], H_LEADS] + [_lead_text(i) for i in range(3)])
    return _csv_case(
        out,
        "报备",
        text.encode("utf-8"),
        "CSV named 报备.csv (recognised by name) with a title row '保利国际广场客户报备表,,,' above the header.",
    )


@case
def csv_english_headers(out: Path) -> Case:
    text = _csv_text([[" Reported_At ", "KAM", "Customer_Name", "PHONE"]] + [_lead_text(i) for i in range(3)])
    return _csv_case(
        out,
        "leads",
        text.encode("utf-8"),
        "CSV named leads.csv with English headers in odd case and padding (' Reported_At ', 'PHONE').",
        notes="Headers compare after NFKC, white-space removal and case-folding.",
    )


@case
def csv_quoted(out: Path) -> Case:
    name = "quoted_multiline.csv"
    rows = [
        H_LEADS,
        ["2026-03-02 10:00", "王伟", "张\n三", _phone(0)],
        ["2026-03-02 10:01", "李娜", "Smith, John", _phone(1)],
        ["2026-03-02 10:02", "张敏", 'He said "hi"', _phone(2)],
    ]
    (out / name).write_bytes(_csv_text(rows).encode("utf-8"))
    return Case(
        name,
        "Quoted fields: a line break inside a name, a comma inside a name, doubled quotes; CRLF line ends.",
        "partial",
        expect={"quoted_multiline": _e("leads", 3, 3)},
        stored={
            "quoted_multiline": [
                {"customer_name": "张三"},
                {"customer_name": "Smith, John"},
                {"customer_name": 'He said "hi"'},
            ]
        },
        notes="The line break between two Han characters is white space and is removed.",
    )


@case
def csv_ragged(out: Path) -> Case:
    name = "ragged.csv"
    lines = [
        ",".join(H_LEADS),
        ",".join(_lead_text(0)),
        ",".join(_lead_text(1)[:3]),  # 3 fields: phone missing -> rejected
        ",".join(_lead_text(2) + ["extra", "more"]),  # 6 fields: extras ignored -> accepted
        "2026-03-02 10:03",  # 1 field -> rejected
    ]
    (out / name).write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return Case(
        name,
        "Rows with 4, 3, 6 and 1 fields under a 4-column header; LF line ends.",
        "partial",
        expect={"ragged": _e("leads", 4, 2, 2)},
        notes="Missing trailing fields are missing values; extra fields are unknown columns.",
    )


@case
def csv_formula_injection(out: Path) -> Case:
    name = "formula_injection.csv"
    rows = [
        H_LEADS,
        ["2026-03-02 10:00", "=1+1", '=HYPERLINK("http://example.invalid","点击")', _phone(0)],
        ["2026-03-02 10:01", "-王伟", "@SUM(A1)", "+86 " + _phone(1)],
        ["2026-03-02 10:02", "+李娜", "=cmd|' /C calc'!A0", _phone(2)],
    ]
    (out / name).write_bytes(_csv_text(rows).encode("utf-8"))
    return Case(
        name,
        "Names starting with = - + @ (formula injection attempts).",
        "partial",
        expect={"formula_injection": _e("leads", 3, 3)},
        stored={"formula_injection": [{"kam": "=1+1"}, {"kam": "-王伟"}, {"kam": "+李娜"}]},
        notes="Stored as plain text; every export must write them as text cells, never formulas.",
    )


@case
def csv_deals_gb18030(out: Path) -> Case:
    name = "成交.csv"
    rows = [
        H_DEALS,
        ["2026-03-05", "张三", _phone(1), "1-1201", "¥1,234,567.00", "刘洋", "4,000元", "", ""],
        ["2026/3/6", "李四", _phone(2), "1-1202", "1234567", "刘洋", "￥3,500.5", "已退房", "2026年3月20日"],
        ["2026-03-07", "王五", _phone(3), "1-1203", "1234567", "刘洋", "-50", "", ""],
    ]
    (out / name).write_bytes(_csv_text(rows).encode("gb18030"))
    return Case(
        name,
        "A deals CSV named 成交.csv in GB18030: money with ¥/￥, thousands separators and 元; a cancelled deal "
        "with its date; a negative commission.",
        "partial",
        expect={"成交": _e("deals", 3, 2, 1)},
    )


@case
def csv_blank_rows(out: Path) -> Case:
    name = "blank_rows.csv"
    lines = [
        ",".join(H_LEADS),
        ",".join(_lead_text(0)),
        ",,,",
        "",
        ",".join(_lead_text(1)),
        " , ,\t,\u3000",
        ",".join(_lead_text(2)),
        ",,,",
    ]
    (out / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return Case(
        name,
        "Empty lines, ',,,' lines and lines of white space (incl. U+3000) between and after data rows.",
        "partial",
        expect={"blank_rows": _e("leads", 3, 3)},
        notes="All-missing rows are not data rows.",
    )


@case
def csv_unclosed_quote(out: Path) -> Case:
    name = "unclosed_quote.csv"
    lines = [
        ",".join(H_LEADS),
        ",".join(_lead_text(0)),
        '2026-03-02 10:01,李娜,"李四,13800000001',  # the quote is never closed
        ",".join(_lead_text(2)),
        ",".join(_lead_text(3)),
    ]
    (out / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return Case(
        name,
        "A quote opened in row 3 and never closed: Excel swallows every later line into that one cell.",
        "refused",
        "corrupt",
        notes="Decision (decisions.md 9d): refused whole, since reading it would silently lose rows 4 and 5.",
    )


@case
def workbook_named_csv(out: Path) -> Case:
    name = "workbook_saved_as.csv"
    (out / name).write_bytes(_leads_workbook(3))
    return Case(
        name,
        "An .xlsx workbook (zip bytes) under a .csv name, as a director may rename a download.",
        "partial",
        expect={LEADS: _e("leads", 3, 3)},
        notes="The bytes decide the format (decisions.md 1): it is read as a workbook, sheets by their own names.",
    )


@case
def csv_control_chars(out: Path) -> Case:
    name = "control_chars.csv"
    rows = [
        H_LEADS,
        ["2026-03-02 10:00", "王\x01伟", "张三\x1f", _phone(0)],
        ["2026-03-02 10:01", "李娜\ufffe", "Line\r\nBreak", _phone(1)],
        ["2026-03-02 10:02", "\x07\x08", "王五", _phone(2)],  # kam only control characters -> missing
        ["\x0b", "\x1b", "\x0c", "\x0e"],  # only control characters: not a data row
        ["2026-03-02 10:03", "张敏", "赵\x0b六", _phone(3)],
    ]
    (out / name).write_bytes(_csv_text(rows).encode("utf-8"))
    return Case(
        name,
        "Control characters (U+0001, U+001F, U+0007, U+000B…), U+FFFE and a CRLF line break inside cells; a row "
        "whose KAM is only control characters; a row of control characters only.",
        "partial",
        expect={"control_chars": _e("leads", 4, 3, 1)},
        stored={
            "control_chars": [
                {"kam": "王伟", "customer_name": "张三"},
                {"kam": "李娜", "customer_name": "Line Break"},
                {"kam": "张敏", "customer_name": "赵六"},
            ]
        },
        notes="Decision (decisions.md 19b): characters XML 1.0 cannot hold are removed (a spreadsheet could not "
        "show them), so a cell of only such characters is missing and a row of them is no data row.",
    )


@case
def formula_injection_xlsx(out: Path) -> Case:
    name = "formula_injection.xlsx"
    rows: list[list[object]] = [H_LEADS]
    rows.append([BASE, TextCell("=1+1"), TextCell('=HYPERLINK("http://example.invalid","x")'), _phone(0)])
    rows.append([BASE, TextCell("\t=SUM(A1:A2)"), TextCell("+86 张三"), _phone(1)])
    rows.append([BASE, TextCell("\r-2+3"), TextCell("@cmd"), _phone(2)])
    rows.append([BASE, TextCell("-王伟"), TextCell("\t@A1"), _phone(3)])
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "Text cells starting with = + - @, and with a tab or CR before them, in a workbook.",
        "partial",
        expect={LEADS: _e("leads", 4, 4)},
        stored={
            LEADS: [
                {"kam": "=1+1", "customer_name": '=HYPERLINK("http://example.invalid","x")'},
                {"kam": "=SUM(A1:A2)", "customer_name": "+86 张三"},
                {"kam": "-2+3", "customer_name": "@cmd"},
                {"kam": "-王伟", "customer_name": "@A1"},
            ]
        },
        notes="Trimming removes the tab/CR; every value stays text in the store and in every export.",
    )


# --- more workbook shapes ---------------------------------------------------------------------


@case
def columns_200(out: Path) -> Case:
    name = "columns_200.xlsx"
    known_at = {0: 0, 57: 1, 123: 2, 199: 3}  # column -> index in H_LEADS
    header = [H_LEADS[known_at[c]] if c in known_at else f"extra_{c:03d}" for c in range(200)]
    rows: list[list[object]] = [header]
    for i in range(5):
        lead = _lead(i)
        rows.append([lead[known_at[c]] if c in known_at else f"x{i}-{c}" for c in range(200)])
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "200 columns: the four leads columns at A, BF, DT and GR among 196 unknown columns extra_NNN, all filled.",
        "partial",
        expect={LEADS: _e("leads", 5, 5)},
        notes="Unknown columns are kept in the raw values but ignored.",
    )


@case
def hidden_sheets(out: Path) -> Case:
    name = "hidden_sheets.xlsx"
    visits = [H_VISITS] + [
        [BASE + dt.timedelta(days=1, minutes=i), KAMS[i], CUSTOMERS[i], _phone(i), 2, "刘洋"]
        for i in range(2)
    ]
    sheets = [
        SheetSpec("说明", [["本工作簿由系统导出"], ["请勿修改隐藏工作表"]]),
        SheetSpec(LEADS, [H_LEADS] + [_lead(i) for i in range(3)], hidden="hidden"),
        SheetSpec("带访", visits, hidden="very_hidden"),
    ]
    _write_xlsx(str(out / name), sheets)
    return Case(
        name,
        "A visible sheet 说明 (text only), a hidden sheet 报备 and a very hidden sheet 带访.",
        "partial",
        expect={LEADS: _e("leads", 3, 3), "带访": _e("visits", 2, 2)},
        ignored=("说明",),
        notes="Decision: hidden and very hidden sheets are read like visible ones (a director may hide a sheet "
        "to tidy the view; dropping its rows silently would lose data).",
    )


@case
def two_sheets_one_kind(out: Path) -> Case:
    name = "two_sheets_one_kind.xlsx"
    sheets = [
        SheetSpec(LEADS, [H_LEADS] + [_lead(i) for i in range(3)]),
        SheetSpec("报备 (2)", [H_LEADS] + [_lead(i) for i in range(10, 12)]),
    ]
    _write_xlsx(str(out / name), sheets)
    return Case(
        name,
        "Two leads sheets: 报备 (by name) and '报备 (2)' (Excel's copy name; recognised by its header).",
        "partial",
        expect={LEADS: _e("leads", 3, 3), "报备 (2)": _e("leads", 2, 2)},
        notes="Both are read; per kind the counts add up (leads: 5 read).",
    )


@case
def all_kinds_odd_names(out: Path) -> Case:
    name = "all_kinds_odd_names.xlsx"
    d = dt.date(2026, 3, 2)
    sheets = [
        SheetSpec(
            "deals",
            [H_DEALS]
            + [
                [dt.date(2026, 3, 9), CUSTOMERS[i], _phone(i), f"2-{i}01", 1000000, "刘洋", 4000, None, None]
                for i in range(2)
            ],
        ),
        SheetSpec(
            " Roster ",
            [
                ["大客户经理", "团队", "入职日期", "离职日期"],
                ["王伟", "A组", dt.date(2026, 1, 5), None],
                ["李娜", "B组", dt.date(2026, 1, 5), "下个月"],
            ],
        ),
        SheetSpec(
            "ＲＥＧＩＳＴＲＹ",
            [["登记时间", "客户姓名", "手机号", "置业顾问", "来源"]]
            + [
                [BASE + dt.timedelta(days=2, hours=i), CUSTOMERS[i], _phone(i), "刘洋", "自然到访"]
                for i in range(2)
            ],
        ),
        SheetSpec(
            "Units",
            [["拓展日期", "大客户经理", "单位名称", "照片", "联系人"]]
            + [
                [d, "王伟", "某某科技有限公司", "https://example.invalid/p1.jpg", "周经理"],
                [d, "李娜", "实验中学", None, None],
            ],
        ),
        SheetSpec("LEADS", [H_LEADS] + [_lead(i) for i in range(2)]),
        SheetSpec(
            "到 访",
            [H_VISITS]
            + [
                [BASE + dt.timedelta(days=1, minutes=i), KAMS[i], CUSTOMERS[i], _phone(i), 3, "刘洋"]
                for i in range(2)
            ],
        ),
    ]
    _write_xlsx(str(out / name), sheets)
    return Case(
        name,
        "All six kinds in one workbook in a shuffled order, named by aliases in odd case, padding and full width: "
        "deals, ' Roster ', ＲＥＧＩＳＴＲＹ, Units, LEADS, '到 访'. One roster end_date is '下个月'.",
        "partial",
        expect={
            "deals": _e("deals", 2, 2),
            " Roster ": _e("roster", 2, 2, 0, 1),
            "ＲＥＧＩＳＴＲＹ": _e("registrations", 2, 2),
            "Units": _e("units", 2, 2),
            "LEADS": _e("leads", 2, 2),
            "到 访": _e("visits", 2, 2),
        },
        notes="A unit without a photo is accepted here (no_photo is a §3 status, not a rejection); a bad "
        "end_date is a warning.",
    )


@case
def name_kind_mismatch(out: Path) -> Case:
    name = "name_kind_mismatch.xlsx"
    rows = [H_VISITS] + [
        [BASE + dt.timedelta(minutes=i), KAMS[i], CUSTOMERS[i], _phone(i), 2, "刘洋"] for i in range(3)
    ]
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "A sheet named 报备 holding a visits table (到访时间, 大客户经理, 客户姓名, 手机号, 人数, 接待置业顾问).",
        "partial",
        expect={LEADS: _e("leads", 3, 0, 3)},
        notes="Recognised by name, so its header is searched for leads aliases only: 大客户经理, 客户姓名, 手机号 "
        "make a leads header without 报备时间, and every row is rejected (reported_at missing).",
    )


@case
def header_tiebreak(out: Path) -> Case:
    name = "header_tiebreak.xlsx"
    sheets = [
        SheetSpec(
            "Sheet1",
            [["客户姓名", "手机号", "登记时间", "置业顾问"]]
            + [[CUSTOMERS[i], _phone(i), BASE + dt.timedelta(hours=i), "刘洋"] for i in range(2)],
        ),
        SheetSpec(
            "Sheet2",
            [["大客户经理", "客户姓名", "手机号"]] + [[KAMS[i], CUSTOMERS[i], _phone(i)] for i in range(2)],
        ),
    ]
    _write_xlsx(str(out / name), sheets)
    return Case(
        name,
        "Headers that fit several kinds. Sheet1 (客户姓名, 手机号, 登记时间, 置业顾问) also fits visits and deals "
        "but only registrations has all its required columns. Sheet2 (大客户经理, 客户姓名, 手机号) fits leads and "
        "visits with 3 columns each and neither complete: the table order picks leads.",
        "partial",
        expect={"Sheet1": _e("registrations", 2, 2), "Sheet2": _e("leads", 2, 0, 2)},
        notes="Sheet2's rows are rejected: reported_at missing.",
    )


@case
def macro_enabled(out: Path) -> Case:
    name = "macro_enabled.xlsm"
    main_xlsx = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    main_xlsm = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"

    def to_xlsm(part: str, content: bytes) -> bytes:
        if part == "[Content_Types].xml":
            assert main_xlsx in content
            return content.replace(main_xlsx, main_xlsm)
        return content

    (out / name).write_bytes(_normalise_zip(_leads_workbook(3), to_xlsm))
    return Case(
        name,
        "A macro-enabled workbook (.xlsm content type, no VBA part) with a 报备 sheet.",
        "partial",
        expect={LEADS: _e("leads", 3, 3)},
        notes="Read like .xlsx (SPEC lists .xlsx and .xls; .xlsm is the same format).",
    )


def _ods_bytes(sheet: str, rows: list[list[object]]) -> bytes:
    def cell(value: object) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, dt.datetime):
            iso = value.strftime("%Y-%m-%dT%H:%M:%S")
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
                f"<text:p>{value:%Y-%m-%d %H:%M}</text:p></table:table-cell>"
            )
        if isinstance(value, int | float):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return _zip_of(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("META-INF/manifest.xml", manifest.encode("utf-8")),
            ("content.xml", content.encode("utf-8")),
        ]
    )


@case
def open_document(out: Path) -> Case:
    name = "open_document.ods"
    rows: list[list[object]] = [H_LEADS]
    rows.append([BASE, "王伟", "张三", _phone(0)])
    rows.append([BASE, "李娜", "李四", float(_phone(1))])  # phone as a float cell
    rows.append(["2026-03-02 10:02", "张敏", "王五", _phone(2)])
    (out / name).write_bytes(_ods_bytes(LEADS, rows))
    return Case(
        name,
        "An OpenDocument spreadsheet (written by hand: mimetype first and stored) with a 报备 sheet: a date cell, "
        "a float phone cell, a text date.",
        "partial",
        expect={LEADS: _e("leads", 3, 3)},
        notes="SPEC lists .xlsx/.xls/.csv only; decided: .ods is read since calamine reads it. If the engine "
        "refuses .ods instead, this case should become refused not_spreadsheet.",
    )


@case
def legacy_xls(out: Path) -> Case:
    name = "legacy.xls"
    rows: list[list[object]] = [H_LEADS]
    rows.append([BASE, "王伟", "张三", _phone(0)])
    rows.append([BASE.date(), "李娜", "李四", float(_phone(1))])
    rows.append(["2026年3月2日 10:02", "张敏", "王五", _phone(2)])
    rows.append([BASE, "王伟", "赵六", "1380000"])  # too short -> rejected
    (out / name).write_bytes(_xls_bytes([SheetSpec(LEADS, rows), SheetSpec("Sheet2", [])]))
    return Case(
        name,
        "A legacy BIFF8 .xls (xlwt): date-time and date cells, a float phone, a text date, a short phone; plus an "
        "empty Sheet2.",
        "partial",
        expect={LEADS: _e("leads", 4, 3, 1)},
        ignored=("Sheet2",),
    )


@case
def blank_rows_xlsx(out: Path) -> Case:
    name = "blank_rows.xlsx"
    rows: list[list[object]] = [H_LEADS, _lead(0), [], [], _lead(1)]
    rows.append([TextCell("   "), TextCell("\u3000"), TextCell(""), None])  # trims to all missing
    rows.append(_lead(2))
    rows.append([Blank(), Blank(), Blank(), Blank()])  # formatted, no values
    rows.append([])
    rows.append(_lead(3))
    rows.append([Blank(), None, Blank()])
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "Blank rows between data rows: rows without cells, a row of white-space strings (incl. U+3000 and an empty "
        "string), formatted blank cells, and trailing formatted blanks.",
        "partial",
        expect={LEADS: _e("leads", 4, 4)},
        notes="None of the blank rows is a data row.",
    )


@case
def footer_rows(out: Path) -> Case:
    name = "footer_rows.xlsx"
    header = [*H_LEADS, "备注"]
    rows: list[list[object]] = [header, [*_lead(0), None], [*_lead(1), "老客户介绍"]]
    rows.append(["合计", None, None, 2, None])  # a total row: date and kam unreadable -> rejected
    rows.append([None, None, None, None, "以上数据截至3月2日"])  # only an unknown column -> rejected
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "Footer rows below the data: a '合计' total row, and a remark only in an unknown column 备注.",
        "partial",
        expect={LEADS: _e("leads", 4, 2, 2)},
        notes="Decision: 'all cells missing' means all cells of the row, known or not, so a remark in an unknown "
        "column makes a data row, rejected for its missing required values (shown, not silently dropped).",
    )


@case
def deals_and_visits_edges(out: Path) -> Case:
    name = "deals_and_visits_edges.xlsx"
    d = dt.date(2026, 3, 5)
    deals: list[list[object]] = [H_DEALS]
    deals.append([d, "张三", _phone(1), "1-101", 1000000, "刘洋", 4000, None, None])  # accepted
    deals.append([d, "李四", _phone(2), "1-102", 1000000, "刘洋", -100, None, None])  # negative -> rejected
    deals.append([d, "王五", _phone(3), "1-103", 1000000, "刘洋", 4000, "退房", None])  # warning
    deals.append([d, "赵六", _phone(4), "1-104", 1000000, "刘洋", 4000, "已退房", dt.date(2026, 3, 20)])
    deals.append([d, "陈七", _phone(5), "1-105", 1000000, "刘洋", 4000, "Cancelled", None])  # warning
    deals.append([d, "孙八", _phone(6), "1-106", 1000000, "刘洋", 4000, "退房中", None])  # signed, no warning
    deals.append([d, "周九", _phone(7), "1-107", 1000000, "刘洋", 0, None, None])  # zero is fine
    deals.append(
        [d, "吴十", _phone(8), "1-108", 1000000, "刘洋", 4000, None, "abc"]
    )  # bad optional date: warning
    deals.append([d, "郑一", _phone(9), "1-109", 1000000, "刘洋", "-¥100", None, None])  # rejected
    deals.append([d, "钱二", _phone(10), "1-110", 1000000, None, 4000, None, None])  # salesperson missing
    deals.append([d, "冯三", _phone(11), "1-111", 1000000, "刘洋", 4000, " 取消 ", dt.date(2026, 3, 21)])
    visits: list[list[object]] = [H_VISITS]
    v = BASE + dt.timedelta(days=1)
    visits.append([v, "王伟", "张三", _phone(1), "三", "刘洋"])  # warning
    visits.append([v, "李娜", "李四", _phone(2), 3, "刘洋"])
    visits.append([v, "张敏", "王五", _phone(3), None, "刘洋"])
    visits.append([v, "王伟", "赵六", _phone(4), "3", "刘洋"])
    visits.append([v, "李娜", "陈七", _phone(5), 2, None])  # no salesperson: accepted (no_handover later)
    visits.append([None, "张敏", "孙八", _phone(6), 2, "刘洋"])  # visited_at missing -> rejected
    _write_xlsx(str(out / name), [SheetSpec("成交", deals), SheetSpec("带访", visits)])
    return Case(
        name,
        "成交: commission -100 and '-¥100' (rejected), 退房 and 'Cancelled' without 退房日期 (warnings), 已退房 "
        "and ' 取消 ' with dates, '退房中' (signed), commission 0, 退房日期 'abc' (warning), 置业顾问 missing "
        "(rejected). 带访: 人数 '三' (warning), 3, '3', empty, no 接待置业顾问, 到访时间 missing (rejected).",
        "partial",
        expect={"成交": _e("deals", 11, 8, 3, 3), "带访": _e("visits", 6, 5, 1, 1)},
        notes="Status compares the whole trimmed cell case-insensitively, so 'Cancelled' and ' 取消 ' cancel and "
        "'退房中' does not. '-¥100' is rejected whether read as negative or as unreadable.",
    )


@case
def duplicate_rows(out: Path) -> Case:
    name = "duplicate_rows.xlsx"
    bad = [BASE, "王伟", "张三", "123"]
    rows: list[list[object]] = [H_LEADS, _lead(0), _lead(0), _lead(1), bad, list(bad)]
    _write_xlsx(str(out / name), [SheetSpec(LEADS, rows)])
    return Case(
        name,
        "The same lead twice, and the same rejected row (phone '123') twice.",
        "partial",
        expect={LEADS: _e("leads", 5, 3, 2)},
        notes="A duplicate counts as accepted (stored once); each rejected row is counted, the identical one "
        "stored once.",
    )


BIG_SETTINGS: dict[str, int] = {}  # the default limits admit it


@case
def max_rows(out: Path) -> Case:
    """Written part by part like Excel (row and cell references, shared strings for the repeated names,
    phones as number cells, dates as date-styled serials): about 10x faster than xlsxwriter's
    constant_memory mode, whose inline strings make the sheet 1.5x larger."""
    # The template's only styled cell is a date, so style 1 is the yyyy-mm-dd format.
    template = _xlsx_bytes([SheetSpec(LEADS, [H_LEADS, [BASE.date(), KAMS[0], CUSTOMERS[0], _phone(0)]])])
    assert b'<c r="A2" s="1">' in zipfile.ZipFile(io.BytesIO(template)).read("xl/worksheets/sheet1.xml")
    strings = [*H_LEADS, *KAMS, *CUSTOMERS]
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(H_LEADS) + 2 * (EXCEL_MAX_ROWS - 1)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{t}</t></si>" for t in strings)
        + "</sst>"
    ).encode("utf-8")
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<dimension ref="A1:D{EXCEL_MAX_ROWS}"/><sheetData><row r="1">'
        + "".join(f'<c r="{col}1" t="s"><v>{i}</v></c>' for i, col in enumerate("ABCD"))
        + "</row>"
    )
    kam0, cust0 = len(H_LEADS), len(H_LEADS) + len(KAMS)
    first_day = int(_serial(dt.date(2026, 1, 5)))
    sizes = {}
    target = out / "max_rows.xlsx"
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            zinfo = zipfile.ZipInfo(info.filename, ZIP_TIME)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == "xl/sharedStrings.xml":
                dst.writestr(zinfo, sst)
            elif info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(zinfo, src.read(info.filename))
            else:
                with dst.open(zinfo, "w") as f:
                    f.write(head.encode("ascii"))
                    for start in range(2, EXCEL_MAX_ROWS + 1, 10_000):
                        chunk = "".join(
                            f'<row r="{r}"><c r="A{r}" s="1"><v>{first_day + r // 2000}</v></c>'
                            f'<c r="B{r}" t="s"><v>{kam0 + r % 3}</v></c>'
                            f'<c r="C{r}" t="s"><v>{cust0 + r % 5}</v></c>'
                            f'<c r="D{r}"><v>{13_000_000_000 + r}</v></c></row>'
                            for r in range(start, min(start + 10_000, EXCEL_MAX_ROWS + 1))
                        )
                        f.write(chunk.encode("ascii"))
                    f.write(b"</sheetData></worksheet>")
        sizes = {i.filename: i.file_size for i in dst.infolist()}
    return _max_rows_case(sum(sizes.values()))


def _max_rows_case(uncompressed: int | None = None) -> Case:
    size = f"{uncompressed:,} bytes" if uncompressed else "about 170 MB"
    return Case(
        "max_rows.xlsx",
        f"{EXCEL_MAX_ROWS:,} rows, Excel's maximum: the header and {EXCEL_MAX_ROWS - 1:,} distinct leads "
        f"(date-only serials over 525 days; phones as number cells). Uncompressed parts: {size}.",
        "partial",
        expect={LEADS: _e("leads", EXCEL_MAX_ROWS - 1, EXCEL_MAX_ROWS - 1)},
        big=True,
        settings=dict(BIG_SETTINGS),
        notes="Read with the default limits: its 170 MB of XML are under the 1 GiB cap and only 9x its "
        "compressed size, far from the 200x of a zip bomb (decisions.md 6). Ingest takes about 15 s.",
    )


BIG_BUILDERS = {max_rows}


def make_corpus(out_dir: Path, include_big: bool = False) -> list[Case]:
    """Write every corpus file into ``out_dir`` (created if needed) and return their cases in order."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = []
    for build in BUILDERS:
        if build in BIG_BUILDERS and not include_big:
            continue
        c = build(out_dir)
        assert c.outcome in OUTCOMES, c
        assert (c.refusal in REFUSALS) if c.outcome == "refused" else c.refusal is None, c
        assert not (c.outcome == "refused" and c.expect), c
        cases.append(c)
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


DECISIONS = (
    "An `.xlsx`/`.xls` that is not the format its extension says (PNG, text, HTML, a Word zip) is "
    "`not_spreadsheet`; a file of the right format that cannot be read through is `corrupt`.",
    "A CSV that decodes as neither UTF-8 nor GB18030 is refused (`encoding`); a UTF-16 CSV with a BOM is read.",
    "`.xlsm` and `.ods` are read like `.xlsx`.",
    "The header search covers worksheet rows 1-10 (Excel row numbers), not the first ten non-empty rows.",
    "Merged cells are not filled: only the top-left cell of a merge holds the value.",
    "A row is a data row when any of its cells, known column or not, has a value.",
    "Hidden and very hidden sheets are read.",
    "Numeric text in a date column is an Excel serial in every format, workbook or CSV (decisions.md 11; "
    "this corpus first expected it only in CSV).",
    "'1-2 digit month and day' applies to every date form (`2026/3/2`); `DD/MM/YYYY` is rejected.",
    "An uncached formula (openpyxl output) and an error cell (`#N/A`) are missing values, without a warning.",
    "The 1,048,576-row workbook passes the default size limits (about 170 MB of XML, 9x compressed).",
    "A zip that is not a workbook by its content type (a Word file) is `not_spreadsheet` (decisions.md 9b).",
    "A CSV whose quote is never closed is `corrupt` (decisions.md 9d): the rows after it would vanish.",
    "Control characters XML cannot hold are removed from text and CR line breaks become LF (decisions.md 19b).",
)


def render_readme(cases: list[Case]) -> str:
    """README.md for this folder, from the case list."""
    lines = [
        "# Bad and strange input files",
        "",
        "`make_corpus.py` writes these files (`make_corpus(out_dir)`; `include_big=True` adds the "
        f"{EXCEL_MAX_ROWS:,}-row workbook) and returns one `Case` per file. The files are generated, not "
        "committed. `python tests/data/bad/make_corpus.py --readme` rewrites this file.",
        "",
        "- **refused**: the whole file is refused with a one-line message, nothing stored; `refusal` is the code.",
        "- **partial**: readable rows are stored, the rest reported. Expectations are keyed by sheet name "
        "(a CSV's sheet name is its file name without extension): data rows read = accepted + rejected, and "
        "warnings. A row whose cells are all missing is not a data row. `{}` = no sheet recognised.",
        "- `stored` (some cases) gives the normalised values of the accepted rows; `settings` the ingest "
        "settings a case needs instead of the defaults.",
        "",
        "## Decisions where SPEC.md is silent",
        "",
        *[f"- {d}" for d in DECISIONS],
        "",
        "## Cases",
        "",
        "| # | file | outcome | expected | description | notes |",
        "|---|---|---|---|---|---|",
    ]
    for i, c in enumerate(cases, 1):
        if c.outcome == "refused":
            expected = f"`{c.refusal}`"
        else:
            parts = [
                f"{sheet} ({e['kind']}): {e['read']} read, {e['accepted']} acc, {e['rejected']} rej, {e['warnings']} warn"
                for sheet, e in c.expect.items()
            ]
            parts += [f"{sheet}: ignored" for sheet in c.ignored]
            parts += [f"settings {key}={value:,}" for key, value in c.settings.items()]
            expected = "; ".join(parts) if parts else "{}"
        big = " (big)" if c.big else ""
        cells = [str(i), f"`{c.name}`{big}", c.outcome, expected, c.description, c.notes]
        lines.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _all_cases_for_readme() -> list[Case]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return [*make_corpus(Path(tmp)), _max_rows_case()]


if __name__ == "__main__":
    if sys.argv[1:] == ["--readme"]:
        readme = Path(__file__).with_name("README.md")
        readme.write_text(render_readme(_all_cases_for_readme()), encoding="utf-8")
        print(f"wrote {readme}")
    elif len(sys.argv) == 2:
        for c in make_corpus(Path(sys.argv[1]), include_big=True):
            print(c.outcome, c.refusal or "", c.name)
    else:
        sys.exit("usage: make_corpus.py OUT_DIR | --readme")
