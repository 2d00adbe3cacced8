"""Command line: ingest, report, sample, template, uploads, undo, rebuild and backup — the dashboard's work without a UI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kam_metrics.commands import audit as audit_command
from kam_metrics.commands import close as close_commands
from kam_metrics.commands import decisions as decisions_commands
from kam_metrics.commands import iso_date
from kam_metrics.commands import rules as rules_command
from kam_metrics.commands import statement as statement_command
from kam_metrics.commands import users as user_commands
from kam_metrics.contract.rules import RulesError, load_ruleset
from kam_metrics.i18n import DEFAULT_LANG, LANGS, t
from kam_metrics.ingest.faults import StoreError
from kam_metrics.ingest.reader import UnreadableFile
from kam_metrics.ingest.store import default_db_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kam_metrics",
        description="KAM Metrics: attribution, weekly quotas, fines and commissions from weekly workbooks.",
    )
    parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG, help="language of messages and labels")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="store uploaded workbooks (.xlsx/.xls/.csv) in the given order")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)")
    p.add_argument("files", nargs="+", type=Path)

    p = sub.add_parser("report", help="write the result workbook (SPEC §7)")
    p.add_argument("--db", type=Path, default=None)
    p.add_argument(
        "--rules", type=Path, default=None, help="rules file (TOML) for this run instead of the stored rules"
    )
    p.add_argument(
        "--as-of", type=iso_date, default=None, help="YYYY-MM-DD (default: the latest date in the data)"
    )
    p.add_argument("--lang", choices=LANGS, default=None, dest="report_lang")
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser("sample", help="write the demo weekly workbooks")
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser("template", help="write the blank upload template")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--lang", choices=LANGS, default=None, dest="template_lang")

    p = sub.add_parser("uploads", help="list the uploads ledger")
    p.add_argument("--db", type=Path, default=None)

    p = sub.add_parser("undo", help="remove one upload as if it had never happened")
    p.add_argument("--db", type=Path, default=None)
    p.add_argument("upload_id", type=int)

    p = sub.add_parser(
        "rebuild",
        help="recreate the store from the kept copies of every upload (a damaged database is moved aside first)",
    )
    p.add_argument("--db", type=Path, default=None)

    p = sub.add_parser(
        "backup", help="copy the store consistently (database, kept files, ledger); safe while in use"
    )
    p.add_argument("--db", type=Path, default=None)
    p.add_argument("--out", type=Path, required=True, help="an empty or new folder")
    rules_command.add_parsers(sub)
    close_commands.add_parsers(sub)
    decisions_commands.add_parsers(sub)
    user_commands.add_parsers(sub)
    audit_command.add_parsers(sub)
    statement_command.add_parsers(sub)
    return parser


# Which commands may create a new store file (inside an existing folder only); the rest need one.
_CREATES = {"ingest": "in_folder", "rebuild": "in_folder"}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang = args.lang
    for area in (decisions_commands, user_commands, audit_command, statement_command):
        if (code := area.run(args, lang)) is not None:
            return code
    if args.command == "sample":
        from kam_metrics.demo.sample import write_sample

        paths = write_sample(args.out)
        print(t("cli.sample_written", lang, path=args.out, count=len(paths)))
        return 0
    if args.command == "template":
        from kam_metrics.export.template import write_template

        write_template(args.out, args.template_lang or lang)
        print(t("cli.template_written", lang, path=args.out))
        return 0

    from kam_metrics.ingest.maintenance import open_for_rebuild

    if (done := rules_command.run(args, lang)) is not None:
        return done
    if (code := close_commands.run(args, lang)) is not None:
        return code
    from kam_metrics.ingest.store import Store

    try:
        if args.command == "rebuild":
            store, moved = open_for_rebuild(args.db or default_db_path())
            if moved is not None:
                print(t("store.moved_aside", lang, path=moved), file=sys.stderr)
        else:
            store = Store(args.db, create=_CREATES.get(args.command, "never"))
    except StoreError as e:  # missing, locked by the dashboard, damaged, newer schema
        print(t("cli.failed", lang, command=args.command, reason=e.message(lang)), file=sys.stderr)
        return 2
    except Exception as e:  # a bad limit variable
        print(t("cli.failed", lang, command=args.command, reason=_one_line(e)), file=sys.stderr)
        return 2
    if store.created and args.command == "ingest":
        print(t("store.created", lang, path=store.path))
    if store.ledger_ahead and args.command != "rebuild":
        print(t("store.ledger_ahead", lang, count=store.ledger_ahead), file=sys.stderr)
    try:
        if args.command == "ingest":
            return _ingest(store, args.files, lang)
        if args.command == "report":
            return _report(store, args, lang)
        if args.command == "uploads":
            print(_uploads_table(store, lang))
            return 0
        if args.command == "undo":
            store.undo(args.upload_id)
            return 0
        if args.command == "rebuild":
            count = store.rebuild()
            print(t("cli.rebuilt", lang, count=count))
            return 0
        if args.command == "backup":
            count = store.backup(args.out)
            print(t("store.backup_written", lang, path=args.out, count=count))
            return 0
    except StoreError as e:
        print(t("cli.failed", lang, command=args.command, reason=e.message(lang)), file=sys.stderr)
        return 2
    except Exception as e:  # never a traceback: an unknown upload id, missing kept files…
        print(t("cli.failed", lang, command=args.command, reason=_one_line(e)), file=sys.stderr)
        return 2
    finally:
        store.close()
    return 2


def _one_line(error: Exception) -> str:
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(str(text).split()) or type(error).__name__


def _uploads_table(store, lang: str) -> str:
    """The uploads ledger, a repeat shown as "repeat of #N" and a missing data date as a dash (SPEC §2)."""
    frame = store.uploads()
    import pandas as pd

    frame["data_date"] = [
        pd.Timestamp(d).date().isoformat() if pd.notna(d) else "—" for d in frame["data_date"]
    ]
    frame["repeat_of"] = [
        t("cli.repeat_of", lang, original=int(r)) if pd.notna(r) else "" for r in frame["repeat_of"]
    ]
    return frame.to_string(index=False)


def _ingest(store, files: list[Path], lang: str) -> int:
    from kam_metrics.ingest.many import ingest_each  # the next file is read while one is stored

    failed = 0
    try:
        for path, outcome in ingest_each(store, files):
            if isinstance(outcome, Exception):
                failed += 1
                _unreadable(path, outcome, lang)
            else:
                _ingest_lines(path, outcome, lang)
    except StoreError as e:  # the store cannot take any file (read-only, disk full): stop here
        print(t("cli.failed", lang, command="ingest", reason=e.message(lang)), file=sys.stderr)
        return 2
    return 1 if failed else 0


def _unreadable(path: Path, e: Exception, lang: str) -> None:
    if isinstance(e, UnreadableFile):
        reason = t(f"unreadable.{e.code}", lang, **e.values)
    else:  # never a traceback to the user; the transaction kept the store unchanged
        reason = f"{t('unreadable.corrupt', lang)} ({type(e).__name__}: {e})"
    print(t("cli.unreadable", lang, file=path, reason=reason), file=sys.stderr)


def _ingest_lines(path: Path, result, lang: str) -> None:
    for key, values in result.notes:
        print(t("cli.note_line", lang, file=path.name, note=t(key, lang, **values)))
    if result.repeat_of is not None:
        print(t("cli.repeat_line", lang, file=path.name, original=result.repeat_of, at=result.repeat_of_at))
    else:
        data_date = result.data_date or t("cli.no_data_date", lang)
        print(t("cli.data_date_line", lang, file=path.name, data_date=data_date))
    for c in result.sheets:
        print(
            t(
                "cli.ingest_line",
                lang,
                file=c.file,
                sheet=c.sheet,
                kind=t(f"kind.{c.kind}", lang),
                read=c.read,
                accepted=c.accepted,
                duplicates=c.duplicates,
                superseded=c.superseded,
                rejected=c.rejected,
                warnings=c.warnings,
            )
        )


def _report(store, args, lang: str) -> int:
    from kam_metrics.engine import report
    from kam_metrics.export import workbook as export

    try:  # the file given for this run, else the stored rules (compute reads them in its snapshot)
        rules = load_ruleset(args.rules) if args.rules is not None else None
    except RulesError as e:
        print(t("cli.rules_error", lang, file=args.rules, reason=e), file=sys.stderr)
        return 2
    results = report.compute(store, rules, args.as_of)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export.write_workbook(results, args.out, args.report_lang or lang)
    print(t("cli.report_written", lang, path=args.out))
    return 0
