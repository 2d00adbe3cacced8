"""The bad-input corpus generator writes every file it promises, with sane sizes, reproducibly."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_corpus import (  # noqa: E402
    EXCEL_MAX_ROWS,
    OUTCOMES,
    REFUSALS,
    ZIP_BOMB_UNCOMPRESSED,
    Case,
    make_corpus,
    max_rows,
)

MAX_SMALL_FILE = 1_000_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case]]:
    out = tmp_path_factory.mktemp("bad")
    return out, make_corpus(out)


def test_corpus_has_at_least_32_cases_with_unique_names(corpus: tuple[Path, list[Case]]) -> None:
    _, cases = corpus
    assert len(cases) >= 32
    assert len({c.name for c in cases}) == len(cases)
    assert not any(c.big for c in cases)


def test_every_case_file_is_written_and_nothing_else(corpus: tuple[Path, list[Case]]) -> None:
    out, cases = corpus
    assert sorted(p.name for p in out.iterdir()) == sorted(c.name for c in cases)


def test_every_case_states_a_valid_outcome(corpus: tuple[Path, list[Case]]) -> None:
    _, cases = corpus
    for c in cases:
        assert c.outcome in OUTCOMES, c.name
        assert c.description, c.name
        if c.outcome == "refused":
            assert c.refusal in REFUSALS and not c.expect, c.name
        else:
            assert c.refusal is None, c.name


def test_expected_counts_add_up_per_sheet(corpus: tuple[Path, list[Case]]) -> None:
    _, cases = corpus
    for c in cases:
        for sheet, e in c.expect.items():
            assert e["accepted"] + e["rejected"] == e["read"], (c.name, sheet)
            assert e["warnings"] <= e["accepted"], (c.name, sheet)
        for sheet, rows in (c.stored or {}).items():
            assert len(rows) == c.expect[sheet]["accepted"], (c.name, sheet)


def test_file_sizes_are_sane(corpus: tuple[Path, list[Case]]) -> None:
    out, cases = corpus
    for c in cases:
        size = (out / c.name).stat().st_size
        if c.refusal == "empty":
            assert size == 0, c.name
        else:
            assert 0 < size < MAX_SMALL_FILE, (c.name, size)


def test_zip_bomb_is_small_but_decompresses_past_200_mb(corpus: tuple[Path, list[Case]]) -> None:
    out, _ = corpus
    bomb = out / "zip_bomb.xlsx"
    assert bomb.stat().st_size < MAX_SMALL_FILE
    with zipfile.ZipFile(bomb) as z:
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size >= ZIP_BOMB_UNCOMPRESSED > 200_000_000


def test_generating_twice_gives_identical_bytes(corpus: tuple[Path, list[Case]], tmp_path: Path) -> None:
    out, cases = corpus
    make_corpus(tmp_path)
    for c in cases:
        assert (tmp_path / c.name).read_bytes() == (out / c.name).read_bytes(), c.name


def test_readme_lists_every_case(corpus: tuple[Path, list[Case]]) -> None:
    _, cases = corpus
    readme = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    for name in [c.name for c in cases] + ["max_rows.xlsx"]:
        assert f"`{name}`" in readme, name


@pytest.mark.skipif(
    not os.environ.get("KAM_BIG_CORPUS"), reason="set KAM_BIG_CORPUS=1 to write the 1M-row file"
)
def test_big_workbook_has_the_maximum_row_count(tmp_path: Path) -> None:
    c = max_rows(tmp_path)
    assert c.big and c.expect["报备"]["read"] == EXCEL_MAX_ROWS - 1
    with zipfile.ZipFile(tmp_path / c.name) as z, z.open("xl/worksheets/sheet1.xml") as f:
        f.seek(max(0, z.getinfo("xl/worksheets/sheet1.xml").file_size - 4096))
        tail = f.read().decode("utf-8")
    assert f'<row r="{EXCEL_MAX_ROWS}"' in tail
