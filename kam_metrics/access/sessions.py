"""Sign-in sessions (SPEC §10): a signed token that survives a browser refresh for 12 hours and ends at sign-out.

A token is ``<session id>.<hmac-sha256 of the id>`` keyed by a secret kept beside the store (``<db>.secret``, mode
0600, never in the repository). The sessions table makes ``end`` a revocation. A missing or damaged secret is
replaced by a new one: every earlier token then stops resuming (everyone signs in again) and nothing else is lost;
``secret_problem`` says so once for the page to show.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from kam_metrics.access import accounts, audit
from kam_metrics.access.accounts import AccessError
from kam_metrics.access.roles import Viewer

LIFETIME = dt.timedelta(hours=12)
_SECRET_BYTES = 32
log = logging.getLogger(__name__)


def secret_path(store) -> Path | None:
    """Where the secret of ``store`` is kept (None for an in-memory store: its secret lives in the process)."""
    return None if str(store.path) == ":memory:" else Path(f"{store.path}.secret")


def _read_secret(path: Path) -> bytes | None:
    """The stored secret, or None when the file is missing; ValueError when it is damaged."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(str(e)) from None
    if len(text) != 2 * _SECRET_BYTES:
        raise ValueError("wrong length")
    return bytes.fromhex(text)  # ValueError for a non-hex character


def _write_secret(path: Path, value: bytes) -> None:
    """Write the secret readable by this user only (a new file beside it, then renamed over the old one)."""
    tmp = path.with_name(path.name + ".new")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(value.hex() + "\n")
    os.replace(tmp, path)


def _live_sessions(store) -> int:
    now = dt.datetime.now()
    rows = (
        store.cursor()
        .execute("select count(*) from sessions where ended_at is null and expires_at > ?", [now])
        .fetchall()
    )
    return rows[0][0]


def _secret(store) -> bytes:
    """The store's secret, read once per Store; made (and kept) on first use or when missing or damaged."""
    cached = getattr(store, "_session_secret", None)
    if cached is not None:
        return cached
    path = secret_path(store)
    problem = None
    value = None
    if path is not None:
        try:
            value = _read_secret(path)
            if value is None and _live_sessions(store):
                problem = AccessError("access.secret_missing", path=path)
        except ValueError:
            problem = AccessError("access.secret_damaged", path=path)
    if value is None:
        value = secrets.token_bytes(_SECRET_BYTES)
        if path is not None and not store.read_only:
            try:
                _write_secret(path, value)
            except OSError as e:  # sessions then last as long as this process
                log.warning("session secret %s not written: %s", path, e)
    if problem is not None:
        log.warning("%s", problem.message("en"))
    store._session_secret, store._session_secret_problem = value, problem
    return value


def secret_problem(store) -> AccessError | None:
    """Why earlier sign-ins no longer resume (the secret was missing or damaged and a new one was made), or None."""
    _secret(store)
    return getattr(store, "_session_secret_problem", None)


def _sign(store, session_id: str) -> str:
    return hmac.new(_secret(store), session_id.encode("ascii"), hashlib.sha256).hexdigest()


def start(store, viewer: Viewer, *, now: dt.datetime | None = None) -> str:
    """A new session for ``viewer`` (a signed-in account); returns the token to keep in a cookie."""
    at = (now or dt.datetime.now()).replace(microsecond=0)
    session_id = secrets.token_hex(16)
    token = f"{session_id}.{_sign(store, session_id)}"
    with store._writing(bump=False) as cur:
        cur.execute(
            "insert into sessions (session_id, login_key, started_at, expires_at) values (?, ?, ?, ?)",
            [session_id, accounts.key(viewer.login), at, at + LIFETIME],
        )
    return token


def _session_id(store, token: str | None) -> str | None:
    """The session id of a well-formed token whose signature is right under the current secret, else None."""
    if not isinstance(token, str) or token.count(".") != 1:
        return None
    session_id, signature = token.split(".")
    if not session_id or not session_id.isalnum() or not session_id.isascii():
        return None
    return session_id if hmac.compare_digest(signature, _sign(store, session_id)) else None


def resume(store, token: str | None, *, now: dt.datetime | None = None) -> Viewer | None:
    """The Viewer of a live session, or None: no token, forged, made under a replaced secret, ended, older than
    12 hours, or its account disabled or deleted."""
    session_id = _session_id(store, token)
    if session_id is None:
        return None
    at = now or dt.datetime.now()
    rows = (
        store.cursor()
        .execute(
            "select login_key from sessions where session_id = ? and ended_at is null and expires_at > ?",
            [session_id, at],
        )
        .fetchall()
    )
    if not rows:
        return None
    account = accounts.find(store, rows[0][0])
    return accounts.viewer_of(account) if account is not None and account.active else None


def end(store, token: str, *, now: dt.datetime | None = None) -> None:
    """Sign out: the session of ``token`` no longer resumes (an unknown or forged token does nothing)."""
    session_id = _session_id(store, token)
    if session_id is None:
        return
    at = (now or dt.datetime.now()).replace(microsecond=0)
    with store._writing(bump=False) as cur:
        rows = cur.execute(
            "select login_key from sessions where session_id = ? and ended_at is null", [session_id]
        ).fetchall()
        if not rows:
            return
        cur.execute("update sessions set ended_at = ? where session_id = ?", [at, session_id])
        account = cur.execute("select login from accounts where login_key = ?", [rows[0][0]]).fetchall()
        login = account[0][0] if account else rows[0][0]
        audit.record(cur, login, "sign_out", login, {}, at=at)
