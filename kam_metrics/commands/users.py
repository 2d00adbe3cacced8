"""CLI of SPEC §10/§11: `user add --login L --role R [--team T] [--kam K] [--name N]`, `user passwd L`,
`user disable L`, `user enable L`, `user list`. A password is read from stdin (a prompt when stdin is a terminal), never taken
from an argument or the environment."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from kam_metrics.commands import fail, one_line, open_store
from kam_metrics.i18n import t


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "user", help="manage the dashboard's accounts (SPEC §10); passwords are read from stdin"
    )
    actions = p.add_subparsers(dest="user_action", required=True)
    add = actions.add_parser("add", help="add an account (the password is read from stdin)")
    add.add_argument(
        "--db", type=Path, default=None, help="DuckDB file (default: $KAM_DB or data/kam.duckdb)"
    )
    add.add_argument("--login", required=True)
    add.add_argument("--role", required=True, help="director, finance, team_lead or kam")
    add.add_argument("--team", default=None, help="a team lead's team, as in the roster")
    add.add_argument("--kam", default=None, help="a KAM's name, as in the data")
    add.add_argument("--name", default="", help="display name")
    for action, text in (
        ("passwd", "set a new password for an account (read from stdin)"),
        ("disable", "disable an account (it can no longer sign in)"),
        ("enable", "enable a disabled account again"),
    ):
        q = actions.add_parser(action, help=text)
        q.add_argument("--db", type=Path, default=None)
        q.add_argument("login")
    q = actions.add_parser("list", help="list the accounts")
    q.add_argument("--db", type=Path, default=None)


def read_password(login: str, lang: str) -> str:
    """The password: typed at a hidden prompt when stdin is a terminal, else the first line of stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(t("access.password_prompt", lang, login=login))
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def _table(store, lang: str) -> str:
    import pandas as pd

    from kam_metrics.access import accounts

    found = accounts.accounts(store)
    if not found:
        return t("access.no_accounts", lang)
    columns = ["login", "name", "role", "team", "kam", "active", "created_at"]
    rows = [
        [
            a.login,
            a.name,
            t(f"access.role.{a.role}", lang),
            a.team or "",
            a.kam or "",
            t("access.active" if a.active else "access.inactive", lang),
            a.created_at,
        ]
        for a in found
    ]
    frame = pd.DataFrame(rows, columns=[t(f"access.col.{c}", lang) for c in columns])
    return frame.to_string(index=False)


def run(args, lang: str) -> int | None:
    """Run a `user` command; None when ``args`` is another command."""
    if args.command != "user":
        return None
    from kam_metrics.access import accounts
    from kam_metrics.access.accounts import AccessError

    command = f"user {args.user_action}"
    password = None
    if args.user_action in ("add", "passwd"):  # read before the store is opened: a prompt waits for no lock
        password = read_password(args.login, lang)
        if not password:
            return fail(lang, command, t("access.password_missing", lang))
    store = open_store(args, lang)
    if store is None:
        return 2
    try:
        if args.user_action == "add":
            warnings = accounts.add(
                store, args.login, password, args.role, name=args.name, team=args.team, kam=args.kam
            )
            for warning in warnings:
                print(t("access.user_warning", lang, warning=warning.message(lang)), file=sys.stderr)
            print(
                t(
                    "access.user_added",
                    lang,
                    login=args.login.strip(),
                    role=t(f"access.role.{args.role}", lang),
                )
            )
        elif args.user_action == "passwd":
            accounts.reset_password(store, args.login, password)
            print(t("access.password_set", lang, login=args.login))
        elif args.user_action == "disable":
            accounts.disable(store, args.login)
            print(t("access.user_disabled", lang, login=args.login))
        elif args.user_action == "enable":
            accounts.enable(store, args.login)
            print(t("access.user_enabled", lang, login=args.login))
        else:
            print(_table(store, lang))
        return 0
    except AccessError as e:
        return fail(lang, command, e.message(lang))
    except Exception as e:  # never a traceback (a read-only or locked store…)
        return fail(lang, command, getattr(e, "message", None) and e.message(lang) or one_line(e))
    finally:
        store.close()
