"""Shared text rules, each spelled once: the mainland mobile pattern, invisible characters, honorifics, cancelled words."""

from __future__ import annotations

import re

# SPEC §2: a mainland mobile is 11 digits starting 13–19. MOBILE_DIGITS is the body of a full match, in the
# syntax Python's re, Arrow (RE2) and DuckDB share; MOBILE checks a whole stored value.
MOBILE_DIGITS = "1[3-9][0-9]{9}"
MOBILE = re.compile(MOBILE_DIGITS)  # use MOBILE.fullmatch(text)
# A mobile inside longer text (not part of a longer digit run), in three groups so it can be masked as 138****5678.
MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")

# Zero-width characters: removed from cell text and ignored when headers and sheet names are compared.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Characters XML 1.0 cannot hold (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF): removed from cell
# text, so stored text, pages and exported workbooks all show the same value (decisions.md).
XML_ILLEGAL = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))) + "\ufffe\uffff"
# Everything the normaliser removes from a cell.
INVISIBLE = ZERO_WIDTH + XML_ILLEGAL


def char_class(chars: str) -> str:
    """The characters as the body of a regular-expression class, each written ``\\x{hex}`` (RE2 / Arrow syntax)."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


ZERO_WIDTH_RE = re.compile(f"[{re.escape(ZERO_WIDTH)}]")
INVISIBLE_RE = re.compile(f"[{re.escape(INVISIBLE)}]")
# An Arrow (RE2) pattern for a cell that is empty once normalised: only white space, separators (NBSP, EN SPACE,
# ideographic space…), NEL and the invisible characters above.
BLANK_CELL_RE2 = f"^[\\s\\p{{Z}}\\x{{85}}{char_class(INVISIBLE)}]*$"

# SPEC §3 visit check 5: a surname followed by one of these matches a full name with that surname.
HONORIFICS = ("先生", "女士", "小姐", "总", "老师", "经理")
# SPEC §2: deal status words meaning the deal was cancelled (退房); compared case-folded.
CANCELLED_WORDS = ("退房", "已退房", "取消", "cancelled")


# What a viewer's results say instead of a KAM name outside what the viewer may see (access.scope); the words
# show it as scope.other_kam (另一位大客户经理); printable, so if it ever reached a cell it would say what it is.
OTHER_KAM_MARK = "⟨other KAM⟩"
