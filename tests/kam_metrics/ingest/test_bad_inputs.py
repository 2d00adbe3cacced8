"""Every strange file a director's office may produce (tests/data/bad): either its readable rows are stored and
the rest reported with file, sheet, row, column and reason, or it is refused whole with a one-line message and
nothing is stored. Never a traceback, never a silent loss: accepted + rejected = data rows read, always.

Also the upload limits (SPEC §2 is silent; decisions.md 6, 9c) and the generated table in docs/reliability.md.
``KAM_WRITE_RELIABILITY_DOC=1 pytest tests/test_bad_inputs.py -k doc`` rewrites that table.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest

from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import report
from kam_metrics.export import workbook as export
from kam_metrics.i18n import t
from kam_metrics.ingest.reader import MB, Limits, LimitsError, UnreadableFile
from kam_metrics.ingest.store import Store
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "data" / "bad"))
from make_corpus import (  # noqa: E402
    BIG_BUILDERS,
    BUILDERS,
    EXCEL_MAX_ROWS,
    H_LEADS,
    LEADS,
    Case,
    SheetSpec,
    _csv_text,
    _lead,
    _lead_text,
    _max_rows_case,
    _xlsx_bytes,
    max_rows,
)

DOC = ROOT / "docs" / "reliability.md"
DOC_BEGIN, DOC_END = "<!-- corpus table: begin -->", "<!-- corpus table: end -->"
SMALL = [b for b in BUILDERS if b not in BIG_BUILDERS]
DATA_TABLES = [k.name for k in KINDS.values()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Case]]:
    out = tmp_path_factory.mktemp("bad")
    return out, {b.__name__: b(out) for b in SMALL}


def _table_rows(store: Store) -> dict[str, int]:
    counts = store.counts()
    return {k: counts[k] for k in DATA_TABLES}


def check_case(store: Store, folder: Path, case: Case) -> str:
    """Ingest one corpus file into an empty store and check every promise; returns the observed outcome."""
    path = folder / case.name
    if case.outcome == "refused":
        with pytest.raises(UnreadableFile) as caught:
            store.ingest(path)
        e = caught.value
        assert e.code == case.refusal, (case.name, e.code, e.values)
        assert store.counts() == dict.fromkeys(store.counts(), 0), "a refused file stores nothing"
        assert store.uploads().empty and store.version() == 0
        assert not [p for p in store.uploads_dir.glob("*") if p.name != "ledger.jsonl"], "nor keeps a copy"
        for lang in ("zh", "en"):
            message = t(
                "cli.unreadable", lang, file=case.name, reason=t(f"unreadable.{e.code}", lang, **e.values)
            )
            assert "\n" not in message and "{" not in message, message
        return f"refused `{e.code}`: {t(f'unreadable.{e.code}', 'en', **e.values)}"

    result = store.ingest(path)
    upload_id = result.upload_id
    got = {
        c.sheet: {
            "kind": c.kind,
            "read": c.read,
            "accepted": c.accepted,
            "rejected": c.rejected,
            "warnings": c.warnings,
        }
        for c in result.sheets
    }
    assert got == case.expect, case.name
    for c in result.sheets:
        assert c.accepted + c.rejected == c.read, (case.name, c.sheet)
        assert 0 <= c.duplicates <= c.accepted
    noted = {
        values.get("sheet") for key, values in result.notes if key in ("note.ignored_sheet", "note.no_header")
    }
    assert set(case.ignored) <= noted, (case.name, result.notes)

    # Accepted rows are stored (duplicates once), per sheet.
    cur = store.cursor()
    for c in result.sheets:
        stored = cur.execute(
            f"select count(*) from {c.kind} where upload_id = ? and sheet = ?", [upload_id, c.sheet]
        ).fetchall()[0][0]
        assert stored == c.accepted - c.duplicates, (case.name, c.sheet)
    assert sum(_table_rows(store).values()) == sum(c.accepted - c.duplicates for c in result.sheets)

    # Rejected rows: file, sheet, row, column and reason; stored once per distinct raw row, and exported.
    by_sheet = {c.sheet: c for c in result.sheets}
    for sheet, c in by_sheet.items():
        rejected = [r for r in result.rejected if r["sheet"] == sheet]
        assert len(rejected) == c.rejected, (case.name, sheet)
        for r in rejected:
            assert isinstance(r["row"], int) and r["row"] >= 2
            assert r["problems"] and all(p["code"] and p["column"] for p in r["problems"]), r
            assert isinstance(json.loads(r["raw"]), dict)
        warnings = [w for w in result.warnings if w["sheet"] == sheet]
        assert len(warnings) == c.warnings, (case.name, sheet)
        assert all(isinstance(w["row"], int) and w["code"] and w["column"] for w in warnings)
    distinct = {(by_sheet[r["sheet"]].kind, r["raw"]) for r in result.rejected}
    assert store.counts()["rejected"] == len(distinct)
    results = report.compute(store)
    assert len(results.rejected) == len(distinct)
    assert set(results.rejected["file"]) <= {case.name}
    for reason in (report.describe_problems(p, "en") for p in results.rejected["problems"]):
        assert reason and "\n" not in reason
    buffer = io.BytesIO()
    export.write_workbook(results, buffer, "en")
    assert buffer.getvalue()[:2] == b"PK"

    # Normalised values of the accepted rows, where the case gives them.
    for sheet, rows in (case.stored or {}).items():
        kind = by_sheet[sheet].kind
        fields = list(rows[0])
        got_rows = cur.execute(
            f"select {', '.join(fields)} from {kind} where upload_id = ? and sheet = ? order by row_no",
            [upload_id, sheet],
        ).fetchall()
        assert [dict(zip(fields, r, strict=True)) for r in got_rows] == rows, (case.name, sheet)
    return _observed(result)


def _observed(result) -> str:
    parts = [
        f"{c.sheet} → {c.kind}: {c.read} read, {c.accepted} accepted"
        + (f" ({c.duplicates} dup.)" if c.duplicates else "")
        + f", {c.rejected} rejected, {c.warnings} warnings"
        for c in result.sheets
    ]
    parts += [t(key, "en", **values) for key, values in result.notes]
    return "; ".join(parts) if parts else "nothing recognised"


@pytest.mark.parametrize("builder", SMALL, ids=[b.__name__ for b in SMALL])
def test_corpus_file_is_stored_and_reported_or_refused_whole(corpus, tmp_path, builder):
    folder, cases = corpus
    store = Store(tmp_path / "kam.duckdb")
    try:
        check_case(store, folder, cases[builder.__name__])
    finally:
        store.close()


def test_whole_corpus_in_one_store_keeps_every_row(corpus, tmp_path):
    """All files uploaded one after the other into one store: refusals leave earlier uploads untouched, and
    the ledger's per-upload totals add up."""
    folder, cases = corpus
    store = Store(tmp_path / "kam.duckdb")
    refused = 0
    for case in cases.values():
        before = store.counts()
        try:
            result = store.ingest(folder / case.name)
        except UnreadableFile as e:
            assert case.outcome == "refused" and e.code == case.refusal, case.name
            assert store.counts() == before
            refused += 1
            continue
        assert case.outcome == "partial", case.name
        assert all(c.accepted + c.rejected == c.read for c in result.sheets)
    uploads = store.uploads()
    assert len(uploads) == len(cases) - refused
    assert (uploads["accepted"] + uploads["rejected"] == uploads["rows_read"]).all()
    stored = sum(_table_rows(store).values())
    assert stored == int((uploads["accepted"] - uploads["duplicates"]).sum())
    store.close()


CLI_CASES = [
    "png_renamed",
    "zip_bomb",
    "encrypted",
    "unclosed_quote",
    "deals_and_visits_edges",
    "control_chars",
]


def test_cli_ingest_reports_each_file_in_one_line_and_never_a_traceback(corpus, tmp_path):
    folder, cases = corpus
    chosen = [c for c in cases.values() if Path(c.name).stem in CLI_CASES]
    assert len(chosen) == len(CLI_CASES)
    db = tmp_path / "kam.duckdb"
    done = run_cli("--lang", "en", "ingest", "--db", db, *[folder / c.name for c in chosen])
    assert "Traceback" not in done.stderr + done.stdout
    refused = [c for c in chosen if c.outcome == "refused"]
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == len(refused), done.stderr
    for c, line in zip(refused, done.stderr.splitlines(), strict=True):
        assert c.name in line and line.startswith("cannot read ")
    expected_lines = [
        t("cli.ingest_line", "en", file=c.name, sheet=sheet, kind=t(f"kind.{e['kind']}", "en"), read=e["read"],
          accepted=e["accepted"], duplicates=0, rejected=e["rejected"], warnings=e["warnings"], superseded=0)
        for c in chosen if c.outcome == "partial" for sheet, e in c.expect.items()
    ]  # fmt: skip
    assert [line for line in done.stdout.splitlines() if "→" in line] == expected_lines
    store = Store(db)
    assert len(store.uploads()) == len(chosen) - len(refused)
    store.close()


def test_cli_refusal_in_chinese_is_one_line_with_the_reason(corpus, tmp_path):
    folder, _ = corpus
    done = run_cli("ingest", "--db", tmp_path / "kam.duckdb", folder / "encrypted.xlsx")
    assert done.returncode == 1
    assert done.stdout == f"已在 {tmp_path / 'kam.duckdb'} 新建数据库。\n"
    assert done.stderr.strip() == t(
        "cli.unreadable", "zh", file=folder / "encrypted.xlsx", reason=t("unreadable.encrypted", "zh")
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_excel_maximum_of_1048576_rows_is_read_whole(tmp_path):
    """The big case: Excel's last row, with the default limits. About 20 s here, well inside CI's 90 minutes."""
    case = max_rows(tmp_path)
    assert case.big and not case.settings
    store = Store(tmp_path / "db" / "kam.duckdb")
    try:
        observed = check_case(store, tmp_path, case)
        assert (
            observed
            == f"{LEADS} → leads: {EXCEL_MAX_ROWS - 1} read, {EXCEL_MAX_ROWS - 1} accepted, 0 rejected, 0 warnings"
        )
        cur = store.cursor()
        first, last = cur.execute(
            "select min(row_no), max(row_no), count(distinct phone) from leads"
        ).fetchall()[0][:2]
        assert (first, last) == (2, EXCEL_MAX_ROWS)
        assert cur.execute("select phone from leads where row_no = ?", [EXCEL_MAX_ROWS]).fetchall() == [
            (str(13_000_000_000 + EXCEL_MAX_ROWS),)
        ]
    finally:
        store.close()


# -- limits -------------------------------------------------------------------------------------------


def _leads_csv(path: Path, n: int) -> Path:
    path.write_bytes(_csv_text([H_LEADS] + [_lead_text(i) for i in range(n)]).encode("utf-8"))
    return path


def _leads_xlsx(path: Path, n: int) -> Path:
    path.write_bytes(_xlsx_bytes([SheetSpec(LEADS, [H_LEADS] + [_lead(i) for i in range(n)])]))
    return path


def test_default_limits_are_200_mb_upload_and_1_gib_uncompressed(monkeypatch):
    monkeypatch.delenv("KAM_MAX_UPLOAD_MB", raising=False)
    monkeypatch.delenv("KAM_MAX_UNCOMPRESSED_MB", raising=False)
    limits = Limits.from_env()
    assert (limits.max_upload_bytes, limits.max_uncompressed_bytes) == (200 * MB, 1024 * MB)


def test_upload_over_the_size_limit_is_refused_with_both_sizes(tmp_path, monkeypatch):
    path = _leads_csv(tmp_path / "报备.csv", 20_000)  # about 0.8 MB
    size = path.stat().st_size
    assert 0.7 * MB < size < 0.9 * MB
    monkeypatch.setenv("KAM_MAX_UPLOAD_MB", "0.5")
    store = Store(tmp_path / "kam.duckdb")
    with pytest.raises(UnreadableFile) as caught:
        store.ingest(path)
    assert caught.value.code == "too_large"
    assert (
        t("unreadable.too_large", "en", **caught.value.values)
        == "file size 0.8 MB is over the limit of 0.5 MB"
    )
    assert store.counts()["leads"] == 0 and store.uploads().empty
    store.close()
    # Exactly at the limit is accepted; one byte over is not.
    at = Store(tmp_path / "at.duckdb", Limits(max_upload_bytes=size))
    assert at.ingest(path).sheets[0].accepted == 20_000
    over = Store(tmp_path / "over.duckdb", Limits(max_upload_bytes=size - 1))
    with pytest.raises(UnreadableFile, match="too_large"):
        over.ingest(path)
    at.close()
    over.close()


def test_workbook_over_the_uncompressed_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    path = _leads_xlsx(tmp_path / "week.xlsx", 20_000)
    with zipfile.ZipFile(path) as z:
        total = sum(i.file_size for i in z.infolist())
    assert path.stat().st_size < MB < total < 8 * MB
    monkeypatch.setenv("KAM_MAX_UNCOMPRESSED_MB", "1")
    store = Store(tmp_path / "kam.duckdb")
    with pytest.raises(UnreadableFile) as caught:
        store.ingest(path)
    assert caught.value.code == "too_large_uncompressed"
    message = t("unreadable.too_large_uncompressed", "en", **caught.value.values)
    assert message == f"uncompressed size {total / MB:.1f} MB is over the limit of 1.0 MB"
    assert store.uploads().empty
    store.close()
    monkeypatch.delenv("KAM_MAX_UNCOMPRESSED_MB")
    store = Store(tmp_path / "default.duckdb")
    assert store.ingest(path).sheets[0].accepted == 20_000
    store.close()


def test_zip_bomb_message_names_the_limit_that_applied(corpus, tmp_path):
    folder, _ = corpus
    store = Store(tmp_path / "kam.duckdb", Limits())
    with pytest.raises(UnreadableFile) as caught:
        store.ingest(folder / "zip_bomb.xlsx")
    assert caught.value.values["limit"] == "100.0 MB"
    assert re.fullmatch(r"uncompressed size 200\.\d MB is over the limit of 100\.0 MB",
                        t("unreadable.too_large_uncompressed", "en", **caught.value.values))  # fmt: skip
    store.close()


@pytest.mark.parametrize("value", ["abc", "0", "-5", "inf", "nan"])
@pytest.mark.parametrize("var", ["KAM_MAX_UPLOAD_MB", "KAM_MAX_UNCOMPRESSED_MB"])
def test_a_limit_that_is_not_a_positive_number_is_refused_naming_the_variable(
    var, value, monkeypatch, tmp_path
):
    monkeypatch.setenv(var, value)
    with pytest.raises(LimitsError, match=f"^{var} must be a positive number of megabytes"):
        Store(tmp_path / "kam.duckdb")


def test_cli_limits_from_the_environment(tmp_path):
    csv_path = _leads_csv(tmp_path / "报备.csv", 20_000)
    xlsx_path = _leads_xlsx(tmp_path / "week.xlsx", 20_000)
    db = tmp_path / "kam.duckdb"
    env = {"KAM_MAX_UPLOAD_MB": "0.5", "KAM_MAX_UNCOMPRESSED_MB": "1"}
    done = run_cli("--lang", "en", "ingest", "--db", db, csv_path, xlsx_path, env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"cannot read {csv_path}: file size 0.8 MB is over the limit of 0.5 MB",
        f"cannot read {xlsx_path}: " + done.stderr.splitlines()[1].split(": ", 1)[1],
    ]
    assert done.stderr.splitlines()[1].endswith("is over the limit of 1.0 MB")
    bad = run_cli("--lang", "en", "ingest", "--db", db, csv_path, env={"KAM_MAX_UPLOAD_MB": "lots"})
    assert bad.returncode == 2
    assert bad.stderr == "ingest: KAM_MAX_UPLOAD_MB must be a positive number of megabytes, not 'lots'\n"


# -- docs/reliability.md ----------------------------------------------------------------------------------


def _doc_table(rows: list[tuple[Case, str]]) -> str:
    lines = [
        "| # | file | expected | observed |",
        "|---|---|---|---|",
    ]
    for i, (case, observed) in enumerate(rows, 1):
        if case.outcome == "refused":
            expected = f"refused `{case.refusal}`"
        else:
            parts = [
                f"{sheet} ({e['kind']}): {e['read']} read = {e['accepted']} acc + {e['rejected']} rej, "
                f"{e['warnings']} warn"
                for sheet, e in case.expect.items()
            ]
            parts += [f"{sheet}: ignored" for sheet in case.ignored]
            expected = "; ".join(parts) if parts else "no sheet"
        big = " (big)" if case.big else ""
        cells = [str(i), f"`{case.name}`{big}", expected, observed]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)


def test_reliability_doc_lists_every_case_with_its_observed_result(corpus, tmp_path):
    folder, cases = corpus
    rows = []
    for i, case in enumerate(cases.values()):
        store = Store(tmp_path / f"s{i}" / "kam.duckdb")
        rows.append((case, check_case(store, folder, case)))
        store.close()
    rows.append(
        (_max_rows_case(), "as expected, checked by test_excel_maximum_of_1048576_rows_is_read_whole")
    )
    table = _doc_table(rows)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if os.environ.get("KAM_WRITE_RELIABILITY_DOC"):
        head, _, rest = text.partition(DOC_BEGIN)
        _, _, tail = rest.partition(DOC_END)
        DOC.write_text(f"{head}{DOC_BEGIN}\n{table}\n{DOC_END}{tail}", encoding="utf-8")
        text = DOC.read_text(encoding="utf-8")
    assert f"{DOC_BEGIN}\n{table}\n{DOC_END}" in text, (
        "docs/reliability.md is out of date: KAM_WRITE_RELIABILITY_DOC=1 pytest tests/test_bad_inputs.py -k doc"
    )


def test_a_formula_without_a_saved_value_is_rejected_when_required_and_warned_when_optional(corpus, tmp_path):
    folder, _ = corpus
    store = Store(tmp_path / "kam.duckdb")
    result = store.ingest(folder / "formulas_uncached.xlsx")
    item = {"code": "formula_no_value"}
    assert [(r["row"], r["problems"]) for r in result.rejected] == [
        (2, [item | {"column": "手机号", "value": "报备!D2"}]),
        (3, [item | {"column": "报备时间", "value": "报备!A3"}]),
    ]
    assert result.warnings == [{"sheet": "报备", "row": 4, **item, "column": "客户姓名", "value": "报备!C4"}]
    assert t("reject.formula_no_value", "en", column="手机号", value="报备!D2") == (
        'cell 报备!D2 ("手机号") is a formula without a saved value: open the file in a spreadsheet program, '
        "save it and upload again"
    )
    cached = store.ingest(folder / "formulas_cached.xlsx")
    assert not cached.rejected and not cached.warnings, "a saved value is read as it is"
