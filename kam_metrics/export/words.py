"""The words the Chinese result workbook shows for codes (SPEC §7), looked up in the locale files, a column at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kam_metrics.i18n import catalog, t

# How a code column finds its words: a locale key prefix (the code appended), several prefixes (a column
# holding codes of several kinds), an explicit code → key map, or BOOLEAN (是/否).
BOOLEAN = "boolean"
_STATUS_OR_TYPE = ("status.", "type.")  # an adjudication's verdict: a row status or a deal type

# sheet → column → where its codes' words are. Columns a sheet does not hold yet (v1.2: statement.closed,
# adjustments, adjudications) are skipped, so they get their words as soon as the engine fills them.
CODE_COLUMNS: dict[str, dict[str, object]] = {
    "summary": {"flag": "flag."},
    "weekly": {"met": BOOLEAN, "flag": "flag.", "in_progress": BOOLEAN},
    "statement": {"closed": BOOLEAN},
    "commissions": {"type": "type.", "reason": "reason.", "line": "line."},
    "leads": {"status": "status."},
    "visits": {"status": "status."},
    "units": {"status": "status."},
    "adjustments": {
        "kind": {"commission": "line.commission", "clawback": "line.clawback", "fine": "export.kind.fine"}
    },
    "adjudications": {
        "kind": {"lead": "kind.leads", "visit": "kind.visits", "unit": "kind.units", "deal": "kind.deals"},
        "verdict": _STATUS_OR_TYPE,
        "orphaned": BOOLEAN,
    },
    "rules": {"key": "ui.rule."},
}

# Rule values that are codes, by rule key (SPEC §6): the weekday and the source of the visit share.
RULE_VALUES: dict[str, str] = {
    "week_start": "ui.weekday.",
    "commission.visit_share_source": "ui.share_source.",
}


def shows_words(lang: str) -> bool:
    """True when codes are shown as words: every language but English, which writes the codes as they are."""
    return lang != "en"


def words(source: object, lang: str) -> dict:
    """code → word for one column's ``source`` (see CODE_COLUMNS) in ``lang``."""
    if source == BOOLEAN:
        return {True: t("ui.yes", lang), False: t("ui.no", lang)}
    if isinstance(source, dict):
        return {code: t(key, lang) for code, key in source.items()}
    prefixes = (source,) if isinstance(source, str) else source
    found: dict = {}
    for prefix in prefixes:
        found.update({k[len(prefix) :]: v for k, v in _entries(lang) if k.startswith(prefix)})
    return found


def _entries(lang: str) -> list[tuple[str, str]]:
    """The language's words with English filling the gaps (as t does)."""
    return list({**catalog("en"), **catalog(lang)}.items())


def with_words(series: pd.Series, mapping: dict) -> pd.Series:
    """``series`` with every code that has a word replaced by it; a code without a word stays as it is and a
    missing value is None. Vectorised: each distinct code is looked up once (a sheet may hold a million rows)."""
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    shown = np.array([mapping.get(code, code) for code in distinct] + [None], dtype=object)
    return pd.Series(shown[codes], index=series.index, dtype=object)  # code -1 (missing) takes the None


def code_words(sheet: str, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` of ``sheet`` with its code columns shown in ``lang`` (unchanged in English)."""
    if not shows_words(lang):
        return frame
    changed = {
        column: with_words(frame[column], words(source, lang))
        for column, source in CODE_COLUMNS.get(sheet, {}).items()
        if column in frame
    }
    if sheet == "rules" and "value" in frame and "key" in frame:
        changed["value"] = _rule_values(frame["key"], frame["value"], lang)
    return frame.assign(**changed) if changed else frame


def _rule_values(keys: pd.Series, values: pd.Series, lang: str) -> pd.Series:
    shown = values.astype(object).copy()
    for key, prefix in RULE_VALUES.items():
        rows = keys == key
        if rows.any():
            shown[rows] = with_words(values[rows], words(prefix, lang))
    return shown


def text_columns(sheet: str, lang: str) -> set[str]:
    """The columns of ``sheet`` that hold words instead of their own cell type (a boolean shown as 是/否)."""
    if not shows_words(lang):
        return set()
    return {c for c, source in CODE_COLUMNS.get(sheet, {}).items() if source == BOOLEAN}
