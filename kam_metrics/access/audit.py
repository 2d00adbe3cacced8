"""The audit log of SPEC §10: one append-only row per change of stored data or of a decision, its listing and export.

Nothing updates or deletes audit_log: ``record`` inserts inside the caller's transaction (so an entry exists exactly
when its action committed), and undo, clear and rebuild only touch upload data.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import xlsxwriter

from kam_metrics.access.roles import Viewer, cli_viewer, require
from kam_metrics.i18n import t

COLUMNS = ["at", "login", "action", "target", "details"]
# Every action name an entry may have (locale key audit.action.<name> gives its word).
ACTIONS = (
    "upload",
    "undo",
    "rebuild",
    "clear",
    "rules_set",
    "rules_change",
    "adjudicate",
    "remove_adjudication",
    "dispute_file",
    "dispute_withdraw",
    "dispute_accept",
    "dispute_reject",
    "close",
    "reopen",
    "user_add",
    "user_passwd",
    "user_password_change",
    "user_disable",
    "user_enable",
    "sign_in",
    "sign_in_failed",
    "sign_in_locked",
    "sign_out",
)


def acting(viewer: Viewer | None, action: str | None = None) -> Viewer:
    """The viewer a core call is made for (None: the command line's, cli_viewer()), after ``require`` when
    ``action`` (one of roles.ACTIONS) is given."""
    viewer = viewer if viewer is not None else cli_viewer()
    if action is not None:
        require(viewer, action)
    return viewer


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def json_value(value):
    """A value json.dumps cannot write, as text: a date or timestamp in ISO form, anything else as str()."""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return str(value)  # a Decimal keeps its exact digits


def record(cur, viewer_or_login: Viewer | str, action: str, target: str, details: dict, *, at=None) -> None:
    """Append one entry on ``cur`` inside the caller's transaction (it commits or rolls back with the action)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    login = viewer_or_login.login if isinstance(viewer_or_login, Viewer) else str(viewer_or_login)
    text = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=json_value)
    cur.execute(  # one statement: the next entry id and the entry
        'insert into audit_log (entry_id, "at", login, action, target, details) '
        "select coalesce(max(entry_id), 0) + 1, ?, ?, ?, ?, ? from audit_log",
        [at or _now(), login, action, "" if target is None else str(target), text],
    )


def entries(
    store,
    *,
    login: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """The entries, oldest first, columns COLUMNS (details: the JSON text); ``login`` matches case-insensitively,
    ``since``/``until`` are calendar days, both included."""
    where, values = [], []
    if login is not None:
        where.append("lower(login) = ?")
        values.append(login.strip().lower())
    if action is not None:
        where.append("action = ?")
        values.append(action)
    if since is not None:
        where.append('"at" >= ?')
        values.append(dt.datetime.combine(since, dt.time()))
    if until is not None:
        where.append('"at" < ?')
        values.append(dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    query = 'select "at", login, action, target, details from audit_log'
    if where:
        query += " where " + " and ".join(where)
    cur = store.cursor()
    try:
        rows = cur.execute(query + " order by entry_id", values).fetchall()
    finally:
        cur.close()
    return pd.DataFrame(
        {c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(COLUMNS)}, columns=COLUMNS
    )


def action_word(action: str, lang: str) -> str:
    """An action's word in ``lang`` (the name itself when it has none)."""
    key = f"audit.action.{action}"
    word = t(key, lang)
    return action if word == key else word


def workbook(frame: pd.DataFrame, lang: str) -> bytes:
    """The entries as an xlsx file: one sheet, a header row, the time as a date-time cell and every other cell
    written as a string (a target or detail starting with = stays text, never a formula)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet = book.add_worksheet(t("audit.sheet", lang))
    header = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for col, name in enumerate(COLUMNS):
        sheet.write_string(0, col, t(f"audit.col.{name}", lang), header)
    for row, entry in enumerate(frame[COLUMNS].itertuples(index=False), start=1):
        at = entry.at
        if at is not None and not pd.isna(at):
            sheet.write_datetime(row, 0, pd.Timestamp(at).to_pydatetime(), when)
        sheet.write_string(row, 1, str(entry.login))
        sheet.write_string(row, 2, action_word(str(entry.action), lang))
        sheet.write_string(row, 3, "" if entry.target is None else str(entry.target))
        sheet.write_string(row, 4, "" if entry.details is None else str(entry.details))
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 3, 18)
    sheet.set_column(4, 4, 60)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
