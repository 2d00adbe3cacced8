"""Read the first table of a web page saved as .xls (Chinese CRM/OA "Excel" exports) into text columns."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa

# A page starts (after a BOM and blanks) with a tag: <html, <!doctype, <table, <meta, <?xml … <html, a comment.
_PAGE = re.compile(rb"^(\xef\xbb\xbf)?\s*<(!doctype|html|table|head|meta|body|!--|\?xml)", re.IGNORECASE)


def is_html(head: bytes) -> bool:
    return bool(_PAGE.match(head))


class _Tables(HTMLParser):
    """Collects the rows of the first <table>: cell text joined, <br> as a line break, colspan filled blank."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str | None]] = []
        self.depth = 0  # nesting of <table>; only the first top-level table is read
        self.done = False
        self.cell: list[str] | None = None
        self.span = 1

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "table":
            self.depth += 1
        elif self.depth == 1 and tag == "tr":
            self.rows.append([])
        elif self.depth == 1 and tag in ("td", "th") and self.rows:
            self.cell = []
            span = dict(attrs).get("colspan") or "1"
            self.span = int(span) if span.isdigit() else 1
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if self.done:
            return
        if tag in ("td", "th") and self.cell is not None:
            text = "".join(self.cell).strip()
            self.rows[-1].extend([text or None] + [None] * (self.span - 1))
            self.cell = None
        elif tag == "table":
            self.depth -= 1
            if self.depth == 0 and self.rows:
                self.done = True

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _text(raw: bytes) -> str:
    declared = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", raw[:4096])
    for encoding in ([declared.group(1).decode("ascii")] if declared else []) + ["utf-8-sig", "gb18030"]:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", errors="replace")


def table_columns(path: Path) -> list[pa.Array] | None:
    """The first table's columns (text or None per cell), or None when the page holds no table with rows."""
    parser = _Tables()
    parser.feed(_text(path.read_bytes()))
    parser.close()
    rows = parser.rows  # empty rows stay, so row numbers count the table's rows; the reader drops blank ones
    if not any(rows):
        return None
    width = max(len(r) for r in rows)
    return [pa.array([r[j] if j < len(r) else None for r in rows], pa.string()) for j in range(width)]
