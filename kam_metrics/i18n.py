"""User-facing words: every label comes from the locale files in kam_metrics/locales/<lang>/*.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
_DIR = Path(__file__).parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    """All words of one language, merged from every JSON file of its folder."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    words: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.json")):
        words.update(json.loads(path.read_text(encoding="utf-8")))
    return words


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The word for ``key`` in ``lang`` (falling back to English, then the key), formatted with ``values``."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog("en").get(key, key)
    return text.format(**values) if values else text


def column_label(sheet: str, column: str, lang: str = DEFAULT_LANG) -> str:
    """Header of an export column: English is the column name; Chinese is the alias table's first entry.

    A column of an input sheet takes the canonical header of that sheet kind's field (so visits'
    salesperson is 接待置业顾问); other columns come from the locale file (``col.<name>``).
    """
    if lang == "en":
        return column
    from kam_metrics.contract.sheets import KINDS

    source = {"leads": "leads", "visits": "visits", "units": "units", "commissions": "deals"}.get(sheet)
    kinds = [KINDS[source]] if source else []
    kinds += [k for k in KINDS.values() if k.name != source]
    key = f"col.{column}"
    if key in catalog(lang):
        return t(key, lang)
    for kind in kinds:
        if column in kind.field_names:
            return kind.field(column).canonical
    return column
