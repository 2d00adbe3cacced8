"""Tests that keep the docs and the contract honest: every CLI command is in the README, every code the engine
writes has a word in both locales, and the result workbook has exactly SPEC §7's sheets and columns."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from kam_metrics import cli
from kam_metrics.contract import codes
from kam_metrics.export.sheets import SHEETS
from kam_metrics.i18n import LANGS, catalog
from tests.helpers import SPEC_SHEETS

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the CLI: ("ingest",), ("adjudicate", "lead"), …"""
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = (*prefix, name)
                nested = _commands(sub, path)
                found.extend(nested or [path])
    return found


COMMANDS = _commands(cli.build_parser())


def test_the_cli_has_the_commands_of_spec_section_11():
    top = {path[0] for path in COMMANDS}
    assert {"ingest", "report", "uploads", "undo", "rebuild", "sample", "template"} <= top


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_cli_command_is_documented_in_the_readme(path):
    spelled = r"\s+".join(re.escape(p) for p in path)
    assert re.search(rf"kam_metrics\s+{spelled}\b", README), (
        f"README shows no `python -m kam_metrics {' '.join(path)}`"
    )


WORDED = [
    *(("status", c) for c in codes.LEAD_STATUSES + codes.VISIT_STATUSES + codes.UNIT_STATUSES),
    *(("type", c) for c in codes.DEAL_TYPES),
    *(("reason", c) for c in codes.UNATTRIBUTED_REASONS),
    *(("line", c) for c in codes.LINES),
    *(("flag", c) for c in codes.FLAGS if c),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("kind", "code"), sorted(set(WORDED)))
def test_every_code_the_engine_writes_has_a_word_in_both_locales(lang, kind, code):
    assert catalog(lang).get(f"{kind}.{code}"), f"no {lang} word for {kind}.{code}"


def test_chinese_words_for_codes_are_chinese():
    zh = catalog("zh")
    for kind, code in WORDED:
        assert re.search(r"[\u4e00-\u9fff]", zh[f"{kind}.{code}"]), (kind, code, zh[f"{kind}.{code}"])


def test_the_result_workbook_has_exactly_the_sheets_and_columns_of_spec_section_7():
    exported = {sheet: ", ".join(col for col, _ in cols) for sheet, cols in SHEETS.items()}
    assert exported == SPEC_SHEETS
