"""The demo data: deterministic weekly workbooks that exercise every rule of SPEC §2–§4."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from kam_metrics.contract.sheets import KINDS, detect_header, kind_for_sheet_name
from kam_metrics.demo.sample import write_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


def _rows(path, sheet):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _records(path, kind):
    """Data rows of one sheet as field → value dicts (header found by detect_header)."""
    rows = _rows(path, KINDS[kind].aliases[0])
    idx, _, mapping = detect_header(rows, kind)
    return [{f: row[i] if i < len(row) else "" for f, i in mapping.items()} for row in rows[idx + 1 :]]


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_is_byte_identical_across_runs(sample, tmp_path):
    again = write_sample(tmp_path)
    assert [p.name for p in again] == [p.name for p in sample]
    assert [_sha(p) for p in again] == [_sha(p) for p in sample]


def test_sample_is_the_bundled_data_sample_byte_for_byte(sample):
    """data/sample/ is what `python -m kam_metrics sample` writes: regenerate it when the demo changes."""
    bundled = sorted((Path(__file__).resolve().parents[3] / "data" / "sample").glob("*.xlsx"))
    assert [p.name for p in bundled] == [p.name for p in sample]
    assert [_sha(p) for p in bundled] == [_sha(p) for p in sample]


def test_sample_has_one_file_per_iso_week_in_week_order(sample):
    names = [p.name for p in sample]
    assert len(names) >= 11
    assert names == sorted(names)
    assert names[0] == "2026-W37_周报.xlsx"
    assert names[-1] == "2026-W48_周报.xlsx"
    assert all(re.fullmatch(r"2026-W\d\d_周报\.xlsx", n) for n in names)


def test_last_file_covers_an_unfinished_week(sample):
    leads = _records(sample[-1], "leads")
    days = {r["reported_at"].date() for r in leads if isinstance(r["reported_at"], datetime)}
    assert min(days) == date(2026, 11, 23)
    assert max(days) == date(2026, 11, 25)


def test_roster_has_at_least_eight_kams_in_two_teams_with_a_joiner_and_a_leaver(sample):
    roster = _records(sample[-1], "roster")
    assert len({r["kam"] for r in roster}) >= 8
    assert len({r["team"] for r in roster}) == 2
    assert any(r["end_date"] for r in roster)
    starts = [r["start_date"] for r in roster]
    assert any(s == "2026/9/23" or s == date(2026, 9, 23) for s in starts)


def test_every_sheet_header_is_recognised_as_the_kind_its_name_says(sample):
    for path in sample:
        workbook = CalamineWorkbook.from_path(str(path))
        assert len(workbook.sheet_names) == len(KINDS)
        for name in workbook.sheet_names:
            found = detect_header(workbook.get_sheet_by_name(name).to_python())
            assert found is not None, (path.name, name)
            assert found[1] == kind_for_sheet_name(name), (path.name, name)


def test_a_title_row_above_the_header_is_present_in_some_registries(sample):
    header_rows = [detect_header(_rows(p, "客户登记"))[0] for p in sample]
    assert 0 in header_rows
    assert 1 in header_rows


def test_a_deal_signed_early_is_relisted_later_as_cancelled(sample):
    first_seen = {}
    cancelled = []
    for week, path in enumerate(sample):
        for r in _records(path, "deals"):
            key = (r["phone"], r["property"])
            first_seen.setdefault(key, (week, r["status"]))
            if r["status"] == "退房":
                cancelled.append((week, key, r["cancelled_at"]))
    assert cancelled
    week, key, cancelled_at = cancelled[0]
    assert first_seen[key][0] < week
    assert first_seen[key][1] != "退房"
    assert isinstance(cancelled_at, date)


def test_volumes_are_realistic(sample):
    leads = sum(len(_records(p, "leads")) for p in sample)
    assert 6000 <= leads <= 12000
    deals = _records(sample[-1], "deals")
    assert 20 <= len(deals) <= 40
    commissions = [r["salesperson_commission"] for r in deals]
    assert 4000 in commissions
    assert any(isinstance(c, str) for c in commissions)  # ¥, thousands separators or 元 as text


def test_sample_contains_the_office_mistakes(sample):
    phones = [r["phone"] for p in sample for r in _records(p, "leads")]
    texts = [p for p in phones if isinstance(p, str)]
    assert any(p.startswith("+86 ") for p in texts)
    assert any(re.fullmatch(r"\d{3}-\d{4}-\d{4}", p) for p in texts)
    assert any("１" in p for p in texts)
    assert any(isinstance(p, float) for p in phones)
    assert "1381234567" in texts
    assert "" in phones  # a lead without a phone
    kams = {r["kam"] for p in sample for r in _records(p, "leads")}
    assert any(" " in k for k in kams)
    times = [r["reported_at"] for p in sample for r in _records(p, "leads")]
    assert any(isinstance(v, str) and "/" in v for v in times)
    assert any(isinstance(v, str) and "年" in v for v in times)
    assert any(isinstance(v, str) and "." in v for v in times)
    parties = {r["party_size"] for p in sample for r in _records(p, "visits")}
    assert "三" in parties
    headers = {c for p in sample for c in _rows(p, "带访")[0]}
    assert "备注" in headers
