"""Reading a PDF's text back for the tests: pypdf parses the file, this maps each shown string to Unicode.

pypdf's own extract_text reads the two-byte codes of an embedded CFF CJK font (an Encoding CMap stream, as
fpdf2 writes for Noto Sans CJK) as one-byte codes, so it would split every character in two. Here each Tj/TJ
string is decoded as two-byte codes through the font's ToUnicode map, and strings are grouped into lines by
their baseline, left to right.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ContentStream

_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


@dataclass(frozen=True)
class Piece:
    x: float
    y: float
    text: str


def _to_unicode(font) -> dict[int, str]:
    data = font.get_object()["/ToUnicode"].get_object().get_data()
    found: dict[int, str] = {}
    for block in _BFCHAR.findall(data):
        for code, uni in _PAIR.findall(block):
            found[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    return found


def _raw(operand) -> bytes:
    return operand.original_bytes if hasattr(operand, "original_bytes") else bytes(operand)


def _decode(raw: bytes, cmap: dict[int, str]) -> str:
    return "".join(
        cmap.get(int.from_bytes(raw[i : i + 2], "big"), "\ufffd") for i in range(0, len(raw) - 1, 2)
    )


def pieces(data: bytes) -> list[list[Piece]]:
    """Every shown string of every page with its start point (PDF units, origin bottom left)."""
    reader = PdfReader(io.BytesIO(data))
    out = []
    for page in reader.pages:
        fonts = {name: _to_unicode(f) for name, f in page["/Resources"]["/Font"].items()}
        found: list[Piece] = []
        cmap, x, y = {}, 0.0, 0.0
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"Tf":
                cmap = fonts[operands[0]]
            elif op == b"BT":
                x = y = 0.0
            elif op == b"Td":
                x, y = x + float(operands[0]), y + float(operands[1])
            elif op == b"Tm":
                x, y = float(operands[4]), float(operands[5])
            elif op == b"Tj":
                found.append(Piece(x, y, _decode(_raw(operands[0]), cmap)))
            elif op == b"TJ":
                text = "".join(_decode(_raw(o), cmap) for o in operands[0] if not isinstance(o, (int, float)))
                found.append(Piece(x, y, text))
        out.append(found)
    return out


def lines(data: bytes) -> list[list[str]]:
    """Each page's text as lines: the strings sharing a baseline (±1 pt), left to right, joined by " | "."""
    pages = []
    for found in pieces(data):
        rows: list[list[Piece]] = []
        for p in sorted(found, key=lambda p: (-p.y, p.x)):
            if rows and abs(rows[-1][0].y - p.y) <= 1.0:
                rows[-1].append(p)
            else:
                rows.append([p])
        pages.append([" | ".join(p.text for p in sorted(row, key=lambda p: p.x) if p.text) for row in rows])
    return pages
