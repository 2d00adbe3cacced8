"""The commands of SPEC §8 (SPEC §11): adjudicate lead|visit|unit|deal, adjudicate remove, adjudications, dispute."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kam_metrics.commands import by, run_on_store
from kam_metrics.contract.codes import DISPUTE_STATES
from kam_metrics.i18n import t

COMMANDS = ("adjudicate", "adjudications", "dispute")


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)")


def _row_options(p: argparse.ArgumentParser, kind: str) -> None:
    """The options naming one row by its natural key (SPEC §8), as §11 writes them."""
    if kind in ("lead", "visit"):
        p.add_argument("--kam", required=True)
        p.add_argument("--phone", required=True)
        p.add_argument("--at", required=True, help='"YYYY-MM-DD HH:MM:SS", or YYYY-MM-DD for a date-only row')
    elif kind == "unit":
        p.add_argument("--kam", required=True)
        p.add_argument("--date", required=True)
        p.add_argument("--unit", required=True, help="the unit's name")
    else:
        p.add_argument("--phone", required=True)
        p.add_argument("--property", required=True)
        p.add_argument("--signed", required=True, help="the signed date YYYY-MM-DD")
        p.add_argument("--kam", default=None, help="the KAM of a visit_deal or lead_deal")


def _verdict_option(p: argparse.ArgumentParser, kind: str, required: bool = True) -> None:
    if kind == "deal":
        p.add_argument(
            "--type", dest="verdict", required=required, help="visit_deal, lead_deal or unattributed"
        )
    else:
        p.add_argument(
            "--status", dest="verdict", required=required, help="valid or a refusal code (SPEC §3)"
        )


def add_parsers(subparsers) -> None:
    """Add adjudicate, adjudications and dispute to the top-level sub-command parsers."""
    p = subparsers.add_parser("adjudicate", help="decide one row instead of the engine (SPEC §8)")
    kinds = p.add_subparsers(dest="adjudicate_kind", required=True)
    for kind in ("lead", "visit", "unit", "deal"):
        k = kinds.add_parser(kind, help=f"adjudicate a {kind}")
        _db(k)
        _row_options(k, kind)
        _verdict_option(k, kind)
        k.add_argument("--reason", required=True)
    k = kinds.add_parser("remove", help="remove an adjudication: the row takes the engine's verdict again")
    _db(k)
    k.add_argument("adjudication_id", type=int)
    k.add_argument("--reason", default=None)

    p = subparsers.add_parser("adjudications", help="list the adjudications in force")
    _db(p)

    p = subparsers.add_parser("dispute", help="file, withdraw, accept, reject or list disputes (SPEC §8)")
    actions = p.add_subparsers(dest="dispute_action", required=True)
    f = actions.add_parser("file", help="ask for an adjudication of one row")
    rows = f.add_subparsers(dest="dispute_kind", required=True)
    for kind in ("lead", "visit", "unit", "deal"):
        k = rows.add_parser(kind)
        _db(k)
        _row_options(k, kind)
        _verdict_option(k, kind)
        k.add_argument("--note", default=None)
    for action in ("withdraw", "accept", "reject"):
        k = actions.add_parser(action)
        _db(k)
        k.add_argument("dispute_id", type=int)
        if action == "accept":  # the adjudication's options; by default the outcome the dispute asked for
            k.add_argument("--status", dest="verdict", default=None)
            k.add_argument("--type", dest="verdict", default=None)
            k.add_argument("--kam", default=None)
            k.add_argument(
                "--rules", type=Path, default=None, help="rules for the story kept with the decision"
            )
        if action != "withdraw":
            k.add_argument("--reason", required=True)
    k = actions.add_parser("list")
    _db(k)
    k.add_argument("--state", choices=DISPUTE_STATES, default=None)


def _key(args, kind: str) -> dict:
    if kind in ("lead", "visit"):
        return {"kam": args.kam, "phone": args.phone, "at": args.at}
    if kind == "unit":
        return {"kam": args.kam, "date": args.date, "unit": args.unit}
    return {"phone": args.phone, "property": args.property, "signed": args.signed}


def _deal_kam(args, kind: str) -> str | None:
    """The KAM a deal's verdict names (for lead, visit and unit, --kam is part of the row's key instead)."""
    return args.kam if kind == "deal" else None


def run(args, lang: str) -> int | None:
    """Run one of COMMANDS (None for any other command): one line per problem on stderr, exit 2."""
    if args.command not in COMMANDS:
        return None
    from kam_metrics.ingest import decisions

    return run_on_store(args, lang, _run, refused=decisions.DecisionError)


def _warn(warning: str | None, lang: str) -> None:
    if warning:
        print(t(warning, lang), file=sys.stderr)


def _run(store, args, lang: str) -> int:
    from kam_metrics.ingest import decisions

    if args.command == "adjudications":
        from kam_metrics.engine import adjudication

        cur = store.cursor()
        frame = adjudication.frame(cur)
        print(frame.to_string(index=False) if len(frame) else t("decisions.none", lang))
        return 0
    if args.command == "adjudicate":
        kind = args.adjudicate_kind
        if kind == "remove":
            decisions.remove_adjudication(store, args.adjudication_id, by(), args.reason)
            print(t("decisions.removed", lang, id=args.adjudication_id))
            return 0
        verdict = {"verdict": args.verdict, "verdict_kam": _deal_kam(args, kind)}
        return _decide_row(
            decisions.adjudicate,
            "decisions.adjudicated",
            store,
            args,
            kind,
            lang,
            reason=args.reason,
            **verdict,
        )
    action = args.dispute_action
    if action == "file":
        kind = args.dispute_kind
        asked = {"asked_verdict": args.verdict, "asked_kam": _deal_kam(args, kind)}
        return _decide_row(
            decisions.file, "decisions.filed", store, args, kind, lang, note=args.note, **asked
        )
    if action == "withdraw":
        decisions.withdraw(store, args.dispute_id, by())
        print(t("decisions.withdrawn", lang, id=args.dispute_id))
    elif action == "accept":
        from kam_metrics.contract.rules import load_ruleset

        made, warning = decisions.accept(
            store,
            args.dispute_id,
            by(),
            reason=args.reason,
            verdict=args.verdict,
            verdict_kam=args.kam,
            rules=load_ruleset(args.rules) if args.rules else None,
        )
        print(t("decisions.accepted", lang, id=args.dispute_id, adjudication=made))
        _warn(warning, lang)
    elif action == "reject":
        decisions.reject(store, args.dispute_id, by(), args.reason)
        print(t("decisions.rejected_done", lang, id=args.dispute_id))
    else:
        frame = decisions.disputes(store, args.state).drop(columns=["story"])
        print(frame.to_string(index=False) if len(frame) else t("decisions.none", lang))
    return 0


def _decide_row(call, done: str, store, args, kind: str, lang: str, **fields) -> int:
    """Adjudicate or file a dispute on the row the options name (``call`` is decisions.adjudicate or .file):
    print the new id with ``done``, then the warning the call returned, if any."""
    made, warning = call(store, kind, by=by(), **fields, **_key(args, kind))
    print(t(done, lang, id=made))
    _warn(warning, lang)
    return 0
