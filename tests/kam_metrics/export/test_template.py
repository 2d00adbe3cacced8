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


def test_every_kind_has_a_sheet_with_exactly_the_canonical_headers_in_order(template):
    _, wb = template
    for kind in SHEET_KINDS:
        ws = wb[kind.aliases[0]]
        header = [c.value for c in ws[1]]
        assert header == [f.canonical for f in kind.fields]
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
