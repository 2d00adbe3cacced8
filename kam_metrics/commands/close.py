"""CLI of SPEC §9/§11: `close --month YYYY-MM [--rules FILE] [--as-of D]`, `reopen --month M --reason R`, `closes`."""

from __future__ import annotations

import sys
from pathlib import Path

from kam_metrics.commands import by, iso_date, run_on_store
from kam_metrics.i18n import t

COMMANDS = ("close", "reopen", "closes")


def add_parsers(sub) -> None:
    p = sub.add_parser("close", help="close a month: freeze its commissions, clawbacks and fines (SPEC §9)")
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--rules", type=Path, default=None, help="rules file (TOML) to compute the month with")
    p.add_argument(
        "--as-of", type=iso_date, default=None, help="YYYY-MM-DD (default: the latest date in the data)"
    )

    p = sub.add_parser("reopen", help="reopen the latest closed month, with a reason")
    p.add_argument("--db", type=Path, default=None)
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--reason", required=True)

    p = sub.add_parser("closes", help="list the closes, reopened ones included")
    p.add_argument("--db", type=Path, default=None)


def run(args, lang: str) -> int | None:
    """Run a close command; None when ``args`` is another area's command."""
    if args.command not in COMMANDS:
        return None
    from kam_metrics.ingest import closes

    return run_on_store(args, lang, _run, refused=closes.CloseRefused, refused_code=1)


def _run(store, args, lang: str) -> int:
    from kam_metrics.contract.rules import RulesError, load_ruleset
    from kam_metrics.ingest import closes

    if args.command == "close":
        try:
            rules = load_ruleset(args.rules) if args.rules else None
        except RulesError as e:
            print(t("cli.rules_error", lang, file=args.rules, reason=e), file=sys.stderr)
            return 2
        done = closes.close_month(store, args.month, by(), rules, args.as_of)
        print(t("close.closed", lang, **{k: done[k] for k in ("month", "close_id", "items", "adjustments")}))
        if done["implicit"]:
            print(t("close.closed_implicit", lang, months=", ".join(done["implicit"])))
    elif args.command == "reopen":
        latest = closes.reopen_month(store, args.month, args.reason, by())
        key = "close.reopened" if latest else "close.reopened_none"
        print(t(key, lang, month=args.month, latest=latest))
    else:
        _print_closes(closes.closes(store), lang)
    return 0


def _print_closes(frame, lang: str) -> None:
    if frame.empty:
        print(t("close.none", lang))
        return
    columns = (
        "close_id",
        "month",
        "implicit",
        "closed_at",
        "closed_by",
        "as_of",
        "items",
        "adjustments",
        "state",
    )
    print("\t".join(t(f"close.col.{c}", lang) for c in columns))
    for r in frame.itertuples(index=False):
        state = (
            t("close.state.closed", lang)
            if r.reopened_by is None
            else t("close.state.reopened", lang, at=r.reopened_at, by=r.reopened_by, reason=r.reopen_reason)
        )
        implicit = t("ui.yes", lang) if r.implicit else t("ui.no", lang)
        as_of = "" if r.as_of is None or r.as_of != r.as_of else f"{r.as_of:%Y-%m-%d}"  # NaT != NaT
        cells = (
            r.close_id,
            r.month,
            implicit,
            r.closed_at,
            r.closed_by,
            as_of,
            r.items,
            r.adjustments,
            state,
        )
        print("\t".join(str(c) for c in cells))
