"""CLI of SPEC §11 for §9's 结算单: `statement --kam K --month YYYY-MM [--lang zh|en] --out FILE.pdf`."""

from __future__ import annotations

import re
from pathlib import Path

from kam_metrics.commands import fail, one_line, open_store
from kam_metrics.i18n import LANGS, t

COMMANDS = ("statement",)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "statement", help="write one KAM's printable monthly statement (结算单, SPEC §9) as PDF"
    )
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)")
    p.add_argument("--kam", required=True, help="the KAM's name as in the data")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument(
        "--lang",
        choices=LANGS,
        default=None,
        dest="statement_lang",
        help="language of the PDF (default: --lang)",
    )
    p.add_argument("--out", type=Path, required=True, help="the PDF file to write")


def run(args, lang: str) -> int | None:
    """Run ``statement``; None when ``args`` is another area's command."""
    if args.command not in COMMANDS:
        return None
    if not _MONTH.match(args.month):
        return fail(lang, args.command, t("statement_pdf.error.bad_month", lang, month=args.month))
    from kam_metrics.engine import report
    from kam_metrics.export.statement_pdf import FontMissing, NoStatement, statement_pdf

    store = open_store(args, lang)
    if store is None:
        return 2
    try:
        results = report.compute(store)
        data = statement_pdf(results, args.kam, args.month, args.statement_lang or lang)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(data)
    except (NoStatement, FontMissing) as e:
        return fail(lang, args.command, e.message(lang), code=1)
    except Exception as e:  # never a traceback
        return fail(lang, args.command, one_line(e))
    finally:
        store.close()
    print(t("statement_pdf.written", lang, kam=args.kam, month=args.month, path=args.out))
    return 0
