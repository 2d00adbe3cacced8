"""CLI of SPEC §11 for the 结算单: `statement --kam K --month YYYY-MM [--lang zh|en] --out FILE.pdf` writes the
PDF; an unknown KAM, a month without a statement row, a bad month or a missing store is one line on stderr."""

from __future__ import annotations

from tests.kam_metrics.commands.test_close import db  # noqa: F401  (the fixture: 张三's September)
from tests.kam_metrics.export.pdf_text import lines
from tests.kam_metrics.test_cli import run


def test_statement_writes_the_kams_pdf_with_the_figures_of_the_month(db, tmp_path):  # noqa: F811
    out = tmp_path / "pdf" / "张三-2026-09.pdf"
    done = run("statement", "--db", db, "--kam", "张三", "--month", "2026-09", "--out", out, lang="zh")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip() == f"已写入 张三 2026-09 的结算单：{out}"
    page = lines(out.read_bytes())[0]
    # SPEC §3–§5 by hand, default rules: the visit deal pays 4,000 × 0.5 = 2,000. Weeks ending in September
    # (as_of 09-30): W37 with one visit and one lead: units 3 × 100 + batches 15 × 10 + numbers 99 × 1 = 549;
    # W38 and W39 with one lead each: 300 + 160 + 99 = 559. Fines 1,667, net 333.
    assert "2026-09-12 | A-101 | 138****0001 | 带访成交 | ¥2,000.00" in page
    assert "2026-W37 | 09-07 – 09-13 | 拓展单位缺 3、带访批次缺 15、诚意客户号码缺 99 | -¥549.00" in page
    totals = [
        line for line in page if line.startswith(("佣金合计", "追回合计", "罚款合计", "调整合计", "本月净额"))
    ]
    assert totals == [
        "佣金合计 | ¥2,000.00",
        "追回合计 | ¥0.00",
        "罚款合计 | -¥1,667.00",
        "调整合计 | ¥0.00",
        "本月净额 | ¥333.00",
    ]


def test_statement_lang_sets_the_pdfs_language_and_the_global_lang_the_messages(db, tmp_path):  # noqa: F811
    out = tmp_path / "en.pdf"
    done = run("statement", "--db", db, "--kam", "张三", "--month", "2026-09", "--lang", "en", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"张三's statement for 2026-09 written to {out}"
    page = lines(out.read_bytes())[0]
    assert page[:2] == ["Provisional · not closed", "Monthly statement"]
    assert "Net | ¥333.00" in page


def test_an_unknown_kam_is_refused_in_one_line_and_nothing_is_written(db, tmp_path):  # noqa: F811
    out = tmp_path / "x.pdf"
    done = run("statement", "--db", db, "--kam", "李四", "--month", "2026-09", "--out", out)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "statement: there is no KAM named '李四'\n")
    assert not out.exists()


def test_a_month_without_a_statement_row_is_refused_naming_the_months_that_have_one(db, tmp_path):  # noqa: F811
    out = tmp_path / "x.pdf"
    done = run("statement", "--db", db, "--kam", "张三", "--month", "2026-10", "--out", out, lang="zh")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "statement 未完成：张三 在 2026-10 没有月度结算（有结算的月份：2026-09）\n"
    assert not out.exists()


def test_a_bad_month_or_a_missing_store_is_one_line_without_a_traceback(db, tmp_path):  # noqa: F811
    done = run("statement", "--db", db, "--kam", "张三", "--month", "2026-9", "--out", tmp_path / "x.pdf")
    assert (done.returncode, done.stderr) == (
        2,
        "statement: '2026-9' is not a month: write it as YYYY-MM, e.g. 2026-09\n",
    )
    missing = tmp_path / "nowhere" / "k.duckdb"
    done = run(
        "statement", "--db", missing, "--kam", "张三", "--month", "2026-09", "--out", tmp_path / "x.pdf"
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("statement: ")
    assert "Traceback" not in done.stderr
