"""CLI of SPEC §10/§11: `audit [--out FILE.xlsx] [--login L] [--action A] [--since D] [--until D]` — the audit log
printed, or written as a workbook."""

from __future__ import annotations

from pathlib import Path

from kam_metrics.commands import fail, iso_date, one_line, open_store
from kam_metrics.i18n import t


def add_parsers(sub) -> None:
    p = sub.add_parser("audit", help="print the audit log, or write it as a workbook (--out)")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)")
    p.add_argument("--out", type=Path, default=None, help="FILE.xlsx to write instead of printing")
    p.add_argument("--login", default=None, help="only this login's entries")
    p.add_argument("--action", default=None, help="only this action (e.g. upload, sign_in_failed)")
    p.add_argument("--since", type=iso_date, default=None, help="YYYY-MM-DD, included")
    p.add_argument("--until", type=iso_date, default=None, help="YYYY-MM-DD, included")


def run(args, lang: str) -> int | None:
    """Run `audit`; None when ``args`` is another command."""
    if args.command != "audit":
        return None
    from kam_metrics.access import audit
    from kam_metrics.access.roles import cli_viewer, require

    store = open_store(args, lang)
    if store is None:
        return 2
    try:
        require(cli_viewer(), "read_audit")
        frame = audit.entries(store, login=args.login, action=args.action, since=args.since, until=args.until)
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_bytes(audit.workbook(frame, lang))
            print(t("audit.written", lang, path=args.out, count=len(frame)))
        elif frame.empty:
            print(t("audit.none", lang))
        else:
            shown = frame.assign(action=[audit.action_word(a, lang) for a in frame["action"]])
            shown.columns = [t(f"audit.col.{c}", lang) for c in frame.columns]
            print(shown.to_string(index=False))
        return 0
    except Exception as e:  # never a traceback (an unwritable --out, a locked store…)
        return fail(lang, "audit", one_line(e))
    finally:
        store.close()
