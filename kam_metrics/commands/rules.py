"""CLI `rules show` and `rules set FILE.toml` (SPEC §11): the rule versions kept in the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kam_metrics.commands import by, run_on_store
from kam_metrics.contract.rules import RulesError, load_ruleset
from kam_metrics.i18n import t


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser("rules", help="show or replace the rules kept in the store (SPEC §6)")
    actions = p.add_subparsers(dest="rules_action", required=True)
    show = actions.add_parser("show", help="print the stored rules as TOML (base, then [[changes]])")
    show.add_argument(
        "--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)"
    )
    put = actions.add_parser(
        "set", help="replace every stored rule version with a rules file's base and changes"
    )
    put.add_argument(
        "--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)"
    )
    put.add_argument("file", type=Path)


def run(args: argparse.Namespace, lang: str) -> int | None:
    """Run a `rules` command; None when ``args`` is another command."""
    if args.command != "rules":
        return None
    ruleset = None
    if args.rules_action == "set":
        try:  # validated before the store is touched
            ruleset = load_ruleset(args.file)
        except RulesError as e:
            for problem in e.problems:
                print(t("cli.rules_error", lang, file=args.file, reason=problem), file=sys.stderr)
            return 2
    return run_on_store(args, lang, lambda store, args, lang: _write(store, args, lang, ruleset))


def _write(store, args, lang: str, ruleset) -> int:
    """Print the stored rules (``ruleset`` None) or replace them with ``ruleset``."""
    from kam_metrics.ingest import rules_table

    if ruleset is None:
        sys.stdout.write(rules_table.stored_rules(store).to_toml())
    else:
        rules_table.set_rules(store, ruleset, by())
        print(t("cli.rules_set", lang, file=args.file, changes=len(ruleset.changes)))
    return 0
