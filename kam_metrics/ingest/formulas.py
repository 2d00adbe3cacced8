"""Formula cells without a saved value in an .xlsx (written by a library, not a spreadsheet program): found
by scanning each sheet's XML for ``<f>`` only, parsed only when there is one, and marked on the staged rows."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

import pyarrow as pa

_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', re.S)
_SHEET_ALT = re.compile(rb'<sheet\b[^>]*?r:id="([^"]*)"[^>]*?name="([^"]*)"', re.S)
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"', re.S)
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"', re.S)
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_HAS_F = re.compile(rb"<(?:\w+:)?f[\s>/]")
# A saved value is a <v>…</v> element (xlsxwriter saves an empty text as <v></v>); openpyxl writes <v />.
_HAS_V = re.compile(rb"<(?:\w+:)?v(?:\s[^>/]*)?>")
_XML_ENTITIES = {b"&amp;": b"&", b"&lt;": b"<", b"&gt;": b">", b"&quot;": b'"', b"&apos;": b"'"}
CHUNK = 1 << 20


def _unescape(raw: bytes) -> str:
    for k, v in _XML_ENTITIES.items():
        raw = raw.replace(k, v)
    return raw.decode("utf-8", errors="replace")


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part path, from xl/workbook.xml and its relationships."""
    book = z.read("xl/workbook.xml")
    rels = z.read("xl/_rels/workbook.xml.rels")
    ids = {i: t for i, t in _REL.findall(rels)} | {i: t for t, i in _REL_ALT.findall(rels)}
    sheets = _SHEET.findall(book) or [(n, i) for i, n in _SHEET_ALT.findall(book)]
    parts = {}
    for name, rid in sheets:
        target = ids.get(rid, b"").decode()
        if not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts[_unescape(name)] = path
    return parts


def _has_formula(z: zipfile.ZipFile, part: str) -> bool:
    """One streaming pass over the sheet XML looking for an ``<f`` tag (cheap: no parsing)."""
    tail = b""
    with z.open(part) as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            data = tail + chunk
            # A plain byte search first (many times faster than the pattern); the pattern only where it hits.
            if (b"<f" in data or b":f" in data) and _HAS_F.search(data):
                return True
            tail = chunk[-8:]
    return False


def uncached_formulas(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Per sheet name, the (1-based row, 0-based column) of every formula cell that has no saved value.

    Empty for anything that is not a readable .xlsx/.xlsm package (calamine reports its damage).
    """
    try:
        with zipfile.ZipFile(path) as z:
            if "xl/workbook.xml" not in z.namelist():
                return {}
            out: dict[str, list[tuple[int, int]]] = {}
            for name, part in _sheet_parts(z).items():
                if part not in z.namelist() or not _has_formula(z, part):
                    continue
                cells = []
                for attrs, inner in _CELL.findall(z.read(part)):
                    if not inner or not _HAS_F.search(inner) or _HAS_V.search(inner):
                        continue
                    ref = _REF.search(attrs)
                    if ref:
                        cells.append((int(ref.group(2)), _column_index(ref.group(1))))
                if cells:
                    out[name] = cells
            return out
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError, RuntimeError):
        return {}


def cell_name(sheet: str, row: int, column: int) -> str:
    """The cell as a spreadsheet names it: 报备!D5."""
    letters, n = "", column + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{sheet}!{letters}{row}"


_ITEM = pa.struct([("code", pa.string()), ("column", pa.string()), ("value", pa.string())])


def mark(table: pa.Table, sheet, required: tuple[str, ...]) -> pa.Table:
    """Mark a staged sheet's formula cells without a value: a rejection (``formula_no_value`` instead of
    ``missing``) in a required column, a warning in an optional one; the value names the cell."""
    cells = sheet.formula_cells
    if not cells:
        return table
    rows = table["row_no"].to_pylist()
    position = {r: i for i, r in enumerate(rows)}
    problems = table["problems"].to_pylist()
    warnings = table["warnings"].to_pylist()
    changed = False
    for row, field, column in cells:
        i = position.get(row)
        if i is None:
            continue
        label = sheet.headers.get(field, field)
        item = {"code": "formula_no_value", "column": label, "value": cell_name(sheet.name, row, column)}
        if field in required:
            rest = [p for p in problems[i] or [] if not (p["code"] == "missing" and p["column"] == label)]
            problems[i] = [*rest, item]
        else:
            warnings[i] = [*(warnings[i] or []), item]
        changed = True
    if not changed:
        return table
    table = table.set_column(
        table.schema.get_field_index("problems"), "problems", pa.array(_plain(problems), pa.list_(_ITEM))
    )
    return table.set_column(
        table.schema.get_field_index("warnings"), "warnings", pa.array(_plain(warnings), pa.list_(_ITEM))
    )


def _plain(lists: list) -> list:
    return [
        [
            {
                "code": p["code"],
                "column": p["column"],
                "value": None if p["value"] is None else str(p["value"]),
            }
            for p in x or []
        ]
        for x in lists
    ]
