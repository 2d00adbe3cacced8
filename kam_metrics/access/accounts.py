"""Accounts and sign-in (SPEC §10): logins unique case-insensitively, argon2 password hashes, the lockout after
five failures, and the Viewer an account acts as. Every change and every failed or locked sign-in is audited."""

from __future__ import annotations

import dataclasses
import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kam_metrics.access import audit
from kam_metrics.access.roles import DIRECTOR, KAM, ROLES, TEAM_LEAD, Viewer
from kam_metrics.contract.errors import CodedError
from kam_metrics.i18n import t

MIN_PASSWORD = 8
MAX_FAILURES = 5  # failures within FAILURE_WINDOW lock the login for LOCK_TIME
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_TIME = dt.timedelta(minutes=15)
_HASHER = PasswordHasher()
_COLUMNS = "login, name, role, team, kam, active, created_at"


class AccessError(CodedError, ValueError):
    """A refused account change or sign-in: ``code`` is its locale key (access.json), ``values`` fill it in."""

    def worded(self, lang: str) -> dict[str, object]:
        shown = dict(self.values)
        if "role" in shown:
            shown["role"] = t(f"access.role.{shown['role']}", lang)
        return shown


@dataclasses.dataclass(frozen=True)
class Account:
    login: str
    name: str
    role: str
    team: str | None
    kam: str | None
    active: bool
    created_at: dt.datetime


def key(login: str) -> str:
    """The case-insensitive form of a login (what makes it unique)."""
    return (login or "").strip().casefold()


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now()).replace(microsecond=0)


def has_accounts(store) -> bool:
    """Whether any account exists (active or not): then every page requires sign-in."""
    return bool(store.cursor().execute("select 1 from accounts limit 1").fetchall())


def accounts(store) -> list[Account]:
    """Every account, by login."""
    rows = store.cursor().execute(f"select {_COLUMNS} from accounts order by login_key").fetchall()
    return [Account(*r) for r in rows]


def find(store, login: str) -> Account | None:
    """The account of ``login`` in any case, or None."""
    rows = (
        store.cursor()
        .execute(f"select {_COLUMNS} from accounts where login_key = ?", [key(login)])
        .fetchall()
    )
    return Account(*rows[0]) if rows else None


def viewer_of(account: Account) -> Viewer:
    """The Viewer an account acts as (its login is what the audit log records)."""
    return Viewer(
        login=account.login, role=account.role, name=account.name, team=account.team, kam=account.kam
    )


def viewer_for_email(store, email: str) -> Viewer | None:
    """The st.login (OIDC) mapping: the active account whose login is ``email`` (case-insensitively), else None."""
    if not (email or "").strip():
        return None
    account = find(store, email)
    return viewer_of(account) if account is not None and account.active else None


def _checked_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccessError("access.password_short", min=MIN_PASSWORD)
    return password


def _clean(value) -> str | None:
    from kam_metrics.ingest.normalize import (
        clean_name,
    )  # names as ingest stores them (roster team, rows' kam)

    return clean_name(None if value is None else str(value))


def _in_data(cur, column: str, value: str, tables: tuple[str, ...]) -> bool:
    union = " union all ".join(f"select 1 from {table} where {column} = ?" for table in tables)
    return bool(cur.execute(f"select 1 from ({union}) limit 1", [value] * len(tables)).fetchall())


def add(
    store,
    login: str,
    password: str,
    role: str,
    *,
    name: str = "",
    team: str | None = None,
    kam: str | None = None,
    viewer: Viewer | None = None,
) -> list[AccessError]:
    """Create an account (director). Returns warnings (AccessError objects, nothing refused): a KAM name found in
    no stored row. Raises AccessError: a login taken in any case, an unknown role, a team not in the stored roster,
    a missing team or KAM name, a short password; the first account must be a director."""
    viewer = audit.acting(viewer, "manage_accounts")
    login = (login or "").strip()
    if not login or any(c.isspace() for c in login):
        raise AccessError("access.bad_login", login=login)
    if role not in ROLES:
        raise AccessError("access.bad_role", role_name=role, roles=", ".join(ROLES))
    team, kam = _clean(team), _clean(kam)
    if role == TEAM_LEAD and team is None:
        raise AccessError("access.team_required")
    if role == KAM and kam is None:
        raise AccessError("access.kam_required")
    if (team is not None and role != TEAM_LEAD) or (kam is not None and role != KAM):
        raise AccessError("access.field_not_for_role", role=role)
    _checked_password(password)
    digest = _HASHER.hash(password)
    warnings = []
    with store._writing(bump=False) as cur:
        taken = cur.execute("select login from accounts where login_key = ?", [key(login)]).fetchall()
        if taken:
            raise AccessError("access.login_taken", login=login, existing=taken[0][0])
        if not cur.execute("select 1 from accounts limit 1").fetchall() and role != DIRECTOR:
            raise AccessError("access.first_director")
        if team is not None and not _in_data(cur, "team", team, ("roster",)):
            raise AccessError("access.unknown_team", team=team)
        if kam is not None and not _in_data(cur, "kam", kam, ("roster", "leads", "visits", "units")):
            warnings.append(AccessError("access.kam_not_in_data", kam=kam))
        name = (name or "").strip()
        cur.execute(
            "insert into accounts (login_key, login, name, role, team, kam, active, password_hash, created_at, "
            "created_by) values (?, ?, ?, ?, ?, ?, true, ?, ?, ?)",
            [key(login), login, name, role, team, kam, digest, _now(None), viewer.login],
        )
        details = {"role": role, "name": name, "team": team, "kam": kam}
        if warnings:
            details["warnings"] = [w.code for w in warnings]
        audit.record(cur, viewer, "user_add", login, details)
    return warnings


def _existing(cur, login: str) -> tuple[str, str, bool, str]:
    """(login, role, active, hash) of the account; AccessError access.no_account otherwise."""
    rows = cur.execute(
        "select login, role, active, password_hash from accounts where login_key = ?", [key(login)]
    ).fetchall()
    if not rows:
        raise AccessError("access.no_account", login=login)
    return rows[0]


def _end_sessions(cur, login: str, at: dt.datetime) -> None:
    cur.execute("update sessions set ended_at = ? where login_key = ? and ended_at is null", [at, key(login)])


def reset_password(store, login: str, password: str, *, viewer: Viewer | None = None) -> None:
    """The director sets a new password for ``login``; its open sessions end."""
    viewer = audit.acting(viewer, "manage_accounts")
    digest = _HASHER.hash(_checked_password(password))
    with store._writing(bump=False) as cur:
        stored = _existing(cur, login)[0]
        cur.execute("update accounts set password_hash = ? where login_key = ?", [digest, key(login)])
        _end_sessions(cur, login, _now(None))
        audit.record(cur, viewer, "user_passwd", stored, {})


def change_password(store, login: str, old: str, new: str, *, now: dt.datetime | None = None) -> None:
    """The account changes its own password; the old one is required (AccessError access.bad_old_password)."""
    digest = _HASHER.hash(_checked_password(new))
    with store._writing(bump=False) as cur:
        stored, _, active, old_hash = _existing(cur, login)
        if not active or not _verify(old_hash, old):
            raise AccessError("access.bad_old_password")
        cur.execute("update accounts set password_hash = ? where login_key = ?", [digest, key(login)])
        audit.record(cur, stored, "user_password_change", stored, {}, at=_now(now))


def _set_active(store, login: str, active: bool, viewer: Viewer | None) -> None:
    viewer = audit.acting(viewer, "manage_accounts")
    with store._writing(bump=False) as cur:
        stored, role, was, _ = _existing(cur, login)
        if not active and was and role == DIRECTOR:
            others = cur.execute(
                "select count(*) from accounts where role = ? and active and login_key <> ?",
                [DIRECTOR, key(login)],
            ).fetchall()[0][0]
            if not others:
                raise AccessError("access.last_director", login=stored)
        cur.execute("update accounts set active = ? where login_key = ?", [active, key(login)])
        if not active:
            _end_sessions(cur, login, _now(None))
        audit.record(cur, viewer, "user_enable" if active else "user_disable", stored, {"was_active": was})


def disable(store, login: str, *, viewer: Viewer | None = None) -> None:
    """Disable an account (it can no longer sign in; its sessions end). The last active director cannot be."""
    _set_active(store, login, False, viewer)


def enable(store, login: str, *, viewer: Viewer | None = None) -> None:
    """Enable a disabled account again."""
    _set_active(store, login, True, viewer)


def _verify(digest: str, password: str) -> bool:
    try:
        return _HASHER.verify(digest, password or "")
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the login is unknown, so a wrong login takes as long as a wrong password.
_DUMMY = _HASHER.hash("not a password of anyone")


def locked_until(cur, login: str, now: dt.datetime) -> dt.datetime | None:
    """When the lock of ``login`` ends, or None: MAX_FAILURES failures within FAILURE_WINDOW lock it for LOCK_TIME
    from the last of them (attempts during a lock are not failures, so a lock is never extended by them)."""
    since = now - FAILURE_WINDOW - LOCK_TIME
    times = [
        r[0]
        for r in cur.execute(
            "select failed_at from sign_in_failures where login_key = ? and failed_at > ? order by failed_at",
            [key(login), since],
        ).fetchall()
    ]
    until = None
    for i in range(MAX_FAILURES - 1, len(times)):
        if times[i] - times[i - MAX_FAILURES + 1] < FAILURE_WINDOW:
            until = max(until or times[i], times[i] + LOCK_TIME)
    return until if until is not None and until > now else None


def sign_in(store, login: str, password: str, *, now: dt.datetime | None = None) -> Viewer:
    """The Viewer of the account ``login`` when ``password`` is its password and the account is active.

    Raises AccessError("access.bad_credentials") whatever was wrong (unknown login, wrong password, disabled
    account) and AccessError("access.locked", until=...) while the login is locked, even for the right password.
    The failure or lock is recorded (a committed transaction of its own) before the error is raised."""
    at = _now(now)
    login = (login or "").strip()
    cur = store.cursor()
    try:
        rows = cur.execute(
            f"select {_COLUMNS}, password_hash from accounts where login_key = ?", [key(login)]
        ).fetchall()
        until = locked_until(cur, login, at)
    finally:
        cur.close()
    account = Account(*rows[0][:-1]) if rows else None
    right = _verify(rows[0][-1] if rows else _DUMMY, password) and bool(rows)
    if until is None and right and account.active:
        if store.read_only:  # a read-only store still lets its accounts in; nothing is recorded
            return viewer_of(account)
        with store._writing(bump=False) as cur:
            cur.execute("delete from sign_in_failures where login_key = ?", [key(login)])
            audit.record(cur, account.login, "sign_in", account.login, {}, at=at)
        return viewer_of(account)
    if not store.read_only:  # a read-only store records nothing; the refusal stands
        with store._writing(bump=False) as cur:
            if until is not None:
                audit.record(cur, login, "sign_in_locked", login, {"until": until}, at=at)
            else:
                # failures too old to count are dropped, so guessed logins cannot grow the table without end
                cur.execute(
                    "delete from sign_in_failures where failed_at <= ?", [at - FAILURE_WINDOW - LOCK_TIME]
                )
                cur.execute("insert into sign_in_failures values (?, ?)", [key(login), at])
                until = locked_until(cur, login, at)
                details = {"locked_until": until} if until is not None else {}
                audit.record(cur, login, "sign_in_failed", login, details, at=at)
                until = None  # this attempt itself was a failure; the lock shows from the next one
    if until is not None:
        raise AccessError("access.locked", until=f"{until:%Y-%m-%d %H:%M}")
    raise AccessError("access.bad_credentials")
