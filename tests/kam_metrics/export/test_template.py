"""The blank upload template: canonical headers, a typed example row and an explanation sheet."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from kam_metrics.contract.sheets import DATETIME, PHONE, SHEET_KINDS, detect_header
from kam_metrics.export.template import write_template
from kam_metrics.i18n import LANGS, t


@pytest.fixture(scope="module", params=LANGS)
def template(request, tmp_path_factory):
    lang = request.param
    path = write_template(tmp_path_factory.mktemp("template") / f"template_{lang}.xlsx", lang)
    return lang, openpyxl.load_workbook(path)


def test_every_kind_has_a_sheet_with_exactly_the_canonical_headers_in_order_then_the_example_mark(template):
    from kam_metrics.ingest.reader import EXAMPLE_HEADER, EXAMPLE_MARK

    _, wb = template
    for kind in SHEET_KINDS:
        ws = wb[kind.aliases[0]]
        header = [c.value for c in ws[1]]
        assert header == [f.canonical for f in kind.fields] + [EXAMPLE_HEADER]
        assert ws.cell(row=2, column=len(header)).value == EXAMPLE_MARK
        assert detect_header([header], kind.name)[1] == kind.name
        assert detect_header([header])[1] == kind.name
        assert ws.freeze_panes == "A2"


def test_example_row_has_text_phones_and_real_dates(template):
    _, wb = template
    for kind in SHEET_KINDS:
        ws = wb[kind.aliases[0]]
        for col, field in enumerate(kind.fields, start=1):
            cell = ws.cell(row=2, column=col)
            if field.type == PHONE:
                assert cell.data_type == "s"
                assert cell.value == "13812345678"
            elif field.type == DATETIME and cell.value is not None:
                assert cell.is_date
                assert isinstance(cell.value, datetime)
        assert all(f.name in _filled(ws, kind) for f in kind.fields if f.name in kind.required)


def _filled(ws, kind):
    return {
        f.name for col, f in enumerate(kind.fields, start=1) if ws.cell(row=2, column=col).value is not None
    }


def test_explanation_sheet_explains_every_column_with_its_aliases(template):
    lang, wb = template
    ws = wb[t("sheet.explain", lang)]
    rows = list(ws.iter_rows(values_only=True))
    text = "\n".join(str(v) for row in rows for v in row if v is not None)
    for kind in SHEET_KINDS:
        described = {(r[0], r[1]): r for r in rows if r[0] == kind.aliases[0]}
        for field in kind.fields:
            row = described[(kind.aliases[0], field.canonical)]
            required = "yes" if field.name in kind.required else "no"
            assert row[2] == t(f"template.required.{required}", lang)
            assert row[3] == t(f"template.field.{kind.name}.{field.name}", lang)
            assert not row[3].startswith("template.")
            assert (row[5] or "") == ", ".join(field.aliases[1:])
        assert t(f"template.sheet.{kind.name}", lang) in text


def test_unknown_language_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_template(tmp_path / "t.xlsx", "fr")


def test_locale_files_define_the_same_template_keys():
    from kam_metrics.i18n import catalog

    zh = {k for k in catalog("zh") if k.startswith("template.")}
    en = {k for k in catalog("en") if k.startswith("template.")}
    assert zh == en
    for kind in SHEET_KINDS:
        for field in kind.fields:
            assert f"template.field.{kind.name}.{field.name}" in zh


def test_the_templates_example_rows_are_marked_and_never_stored(tmp_path):
    from kam_metrics.ingest.store import Store

    path = write_template(tmp_path / "模板.xlsx")
    store = Store(tmp_path / "kam.duckdb")
    result = store.ingest(path)
    assert all(c.read == 0 for c in result.sheets)
    assert {k: v for k, v in store.counts().items() if k != "uploads"} == dict.fromkeys(
        ["roster", "registrations", "units", "leads", "visits", "deals", "rejected", "warnings"], 0
    )
    assert [n for n, _ in result.notes].count("note.example_rows") == 6
    store.close()


def test_a_filled_template_keeps_its_real_rows_and_drops_only_the_example(tmp_path):
    from kam_metrics.ingest.store import Store

    path = write_template(tmp_path / "模板.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["报备"]
    ws.append(["2026-03-03 10:00", "李雷", "韩梅梅", "13900000001"])
    wb.save(path)
    store = Store(tmp_path / "kam.duckdb")
    store.ingest(path)
    assert store.cursor().execute("select kam, phone from leads").fetchall() == [("李雷", "13900000001")]
    store.close()


def test_the_explanation_sheet_says_the_example_row_is_ignored(tmp_path):
    from kam_metrics.ingest.reader import EXAMPLE_MARK

    wb = openpyxl.load_workbook(write_template(tmp_path / "模板.xlsx"))
    note = wb.worksheets[-1].cell(2, 1).value
    assert EXAMPLE_MARK in note and "忽略" in note
