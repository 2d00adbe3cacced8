"""Sub-commands of the command line by area (SPEC §11): each module has add_parsers(subparsers) and run(args, lang).

The helpers below are what every area shares: who acts, one line per problem, and running on an existing store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable

from kam_metrics.i18n import t


def iso_date(text: str) -> dt.date:
    """An argparse type: a YYYY-MM-DD date (argparse prints the error as one line)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def by() -> str:
    """Who acts from the command line: ``cli:`` and the OS user (SPEC §10)."""
    return "cli:" + getpass.getuser()


def one_line(error: Exception) -> str:
    """An exception as one line (never a traceback)."""
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(str(text).split()) or type(error).__name__


def fail(lang: str, command: str, reason: str, code: int = 2) -> int:
    """Print ``command`` failed: ``reason`` on stderr and return the exit code."""
    print(t("cli.failed", lang, command=command, reason=reason), file=sys.stderr)
    return code


def open_store(args, lang: str):
    """The existing store of ``--db``/``KAM_DB`` (a decision never creates one), or None after one line on stderr."""
    from kam_metrics.ingest.faults import StoreError
    from kam_metrics.ingest.store import Store

    try:
        return Store(args.db, create="never")
    except StoreError as e:  # missing, locked by the dashboard, damaged, newer schema
        fail(lang, args.command, e.message(lang))
    except Exception as e:
        fail(lang, args.command, one_line(e))
    return None


def run_on_store(
    args, lang: str, body: Callable, refused: type[Exception] | None = None, refused_code: int = 2
) -> int:
    """``body(store, args, lang)`` on the existing store, closed afterwards; every failure is one line on stderr.

    ``refused`` is the area's own refusal (it words itself with ``message(lang)``) and exits ``refused_code``;
    a missing store or any other error exits 2 (never a traceback)."""
    store = open_store(args, lang)
    if store is None:
        return 2
    try:
        return body(store, args, lang)
    except Exception as e:
        if refused is not None and isinstance(e, refused):
            return fail(lang, args.command, e.message(lang), code=refused_code)
        return fail(lang, args.command, one_line(e))
    finally:
        store.close()
