"""The director's adjudications and the disputes asking for them (SPEC §8), stored by their row's natural key."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from kam_metrics.access import audit
from kam_metrics.access.roles import Viewer
from kam_metrics.contract import codes
from kam_metrics.contract.errors import CodedError
from kam_metrics.i18n import t
from kam_metrics.ingest import normalize
from kam_metrics.ingest.reader import RawSheet
from kam_metrics.ingest.store import Store

# kind → the sheet kind its row is stored in, and the fields naming the row (SPEC §2 natural keys).
SHEET = {"lead": "leads", "visit": "visits", "unit": "units", "deal": "deals"}
TIME_FIELD = {"lead": "reported_at", "visit": "visited_at", "unit": "date", "deal": "signed_at"}
# kind → the columns of the adjudications / disputes tables that hold its key
KEY_COLUMNS = {
    "lead": ("kam", "phone", "row_at"),
    "visit": ("kam", "phone", "row_at"),
    "unit": ("kam", "row_date", "unit_key"),
    "deal": ("phone", "property", "row_date"),
}
ROW_COLUMNS = ("kam", "phone", "row_at", "row_at_date_only", "row_date", "unit_key", "unit_name", "property")
STATUSES = {"lead": codes.LEAD_STATUSES, "visit": codes.VISIT_STATUSES, "unit": codes.UNIT_STATUSES}
ORPHANED = "decisions.warn_orphaned"  # the warning of a decision naming a row that is not stored


class DecisionError(CodedError, ValueError):
    """A refused decision: a locale key of decisions.json (``key``, also ``code``) and its values."""

    @property
    def key(self) -> str:
        return self.code

    def worded(self, lang: str) -> dict[str, object]:
        """A field, state or action named by its word."""
        shown = dict(self.values)
        for name in ("field", "state", "action"):
            if name in shown:
                shown[name] = t(f"decisions.{name}.{shown[name]}", lang)
        return shown


@dataclass(frozen=True)
class RowKey:
    """One row's natural key, normalised as ingest normalises the row's cells (SPEC §2)."""

    kind: str
    kam: str | None = None
    phone: str | None = None
    row_at: dt.datetime | None = None
    row_at_date_only: bool | None = None
    row_date: dt.date | None = None
    unit_key: str | None = None
    unit_name: str | None = None
    property: str | None = None

    def values(self) -> list:
        return [getattr(self, c) for c in ROW_COLUMNS]


def _cell(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def row_key(
    store: Store,
    kind: str,
    *,
    kam=None,
    phone=None,
    at=None,
    date=None,
    unit=None,
    property=None,
    signed=None,
) -> RowKey:
    """The key of a lead/visit (kam, phone, at), unit (kam, date, unit) or deal (phone, property, signed), each
    value read exactly as the same cell of an upload would be (ingest's staging: phone digits, names, dates with
    the date-only flag, the unit_name key). Raises DecisionError for an unknown kind, a missing or bad value."""
    if kind not in codes.ADJUDICATION_KINDS:
        raise DecisionError("decisions.bad_kind", kind=kind, kinds=", ".join(codes.ADJUDICATION_KINDS))
    given = {
        "lead": {"kam": kam, "phone": phone, "reported_at": at},
        "visit": {"kam": kam, "phone": phone, "visited_at": at},
        "unit": {"kam": kam, "date": date, "unit_name": unit},
        "deal": {"phone": phone, "property": property, "signed_at": signed},
    }[kind]
    for name, value in given.items():
        if _cell(value) is None or not _cell(value).strip():
            raise DecisionError("decisions.missing", field=name)
    sheet = RawSheet(
        name=kind,
        kind=SHEET[kind],
        header_row=1,
        headers={f: f for f in given},
        columns={f: pa.array([_cell(v)], pa.string()) for f, v in given.items()},
        row_numbers=pa.array([2], pa.int64()),
    )
    cur = store.cursor()
    try:
        row = normalize.stage(cur, sheet).to_pylist()[0]
    finally:
        cur.close()
    for problem in row["problems"]:
        if problem["column"] in given:  # the kind's other required columns are not part of a key
            raise DecisionError(
                "decisions.bad_value", field=problem["column"], value=_cell(given[problem["column"]])
            )
    for name in given:
        if row[name] is None:
            raise DecisionError("decisions.missing", field=name)
    when = row[TIME_FIELD[kind]]
    if kind in ("lead", "visit"):
        flag = row[f"{TIME_FIELD[kind]}_date_only"]
        return RowKey(kind, kam=row["kam"], phone=row["phone"], row_at=when, row_at_date_only=flag)
    if kind == "unit":
        return RowKey(
            kind, kam=row["kam"], row_date=when.date(), unit_key=row["unit_key"], unit_name=row["unit_name"]
        )
    return RowKey(kind, phone=row["phone"], property=row["property"], row_date=row["signed_date"])


def _kam(value) -> str | None:
    return normalize.clean_name(_cell(value))


def check_verdict(kind: str, verdict: str, verdict_kam: str | None) -> None:
    """SPEC §8: a lead, visit or unit becomes valid or one of its kind's refusal codes; a deal visit_deal or
    lead_deal with a KAM, or unattributed without one. Raises DecisionError otherwise."""
    if kind in STATUSES:
        if verdict not in STATUSES[kind]:
            raise DecisionError(
                "decisions.bad_verdict", kind=kind, verdict=verdict, allowed=", ".join(STATUSES[kind])
            )
        if verdict_kam is not None:
            raise DecisionError("decisions.kam_not_allowed", kind=kind)
        return
    if verdict not in codes.DEAL_TYPES:
        raise DecisionError(
            "decisions.bad_verdict", kind=kind, verdict=verdict, allowed=", ".join(codes.DEAL_TYPES)
        )
    if verdict == "unattributed" and verdict_kam is not None:
        raise DecisionError("decisions.unattributed_with_kam")
    if verdict != "unattributed" and verdict_kam is None:
        raise DecisionError("decisions.kam_required", verdict=verdict)


def _required(text, name: str) -> str:
    text = normalize.clean_text(_cell(text))
    if text is None:
        raise DecisionError("decisions.missing", field=name)
    return text


def is_stored(cur, key: RowKey) -> bool:
    """Whether the row ``key`` names is stored (matched as the engine matches it)."""
    query, values = {
        "lead": ("select 1 from leads where kam = ? and phone = ? and reported_at = ?", [key.kam, key.phone, key.row_at]),
        "visit": ("select 1 from visits where kam = ? and phone = ? and visited_at = ?", [key.kam, key.phone, key.row_at]),
        "unit": ("select 1 from units where kam = ? and date::date = ? and unit_key = ?", [key.kam, key.row_date, key.unit_key]),
        "deal": ("select 1 from deals where phone = ? and property = ? and signed_date = ?", [key.phone, key.property, key.row_date]),
    }[key.kind]  # fmt: skip
    return bool(cur.execute(query + " limit 1", values).fetchall())


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _by(by: str | None, viewer: Viewer | None, action: str) -> str:
    """Who decides: ``viewer.login`` when a viewer is given (after roles.require), else ``by`` (the command line's
    viewer is the one allowed); one of them is needed."""
    acting = audit.acting(viewer, action)
    return acting.login if viewer is not None or by is None else by


def _key_details(key: RowKey) -> dict:
    return {"kind": key.kind, **{c: getattr(key, c) for c in KEY_COLUMNS[key.kind]}}


def _target(key: RowKey) -> str:
    return f"{key.kind} " + " / ".join(str(getattr(key, c)) for c in KEY_COLUMNS[key.kind])


def _same_key(key: RowKey) -> tuple[str, list]:
    columns = KEY_COLUMNS[key.kind]
    return " and ".join(f"{c} = ?" for c in columns), [getattr(key, c) for c in columns]


def _adjudicate(
    cur, key: RowKey, verdict: str, verdict_kam, reason: str, by: str, dispute_id
) -> tuple[int, str | None]:
    """Store one adjudication inside the caller's transaction, replacing the live one of the same row."""
    new_id = cur.execute("select coalesce(max(adjudication_id), 0) + 1 from adjudications").fetchall()[0][0]
    where, values = _same_key(key)
    cur.execute(
        f"update adjudications set replaced_by = ? where kind = ? and {where} "
        "and replaced_by is null and removed_at is null",
        [new_id, key.kind, *values],
    )
    cur.execute(
        f"insert into adjudications (adjudication_id, kind, {', '.join(ROW_COLUMNS)}, verdict, verdict_kam, reason, "
        "decided_by, decided_at, dispute_id) values (" + ", ".join(["?"] * 16) + ")",
        [new_id, key.kind, *key.values(), verdict, verdict_kam, reason, by, _now(), dispute_id],
    )
    return new_id, None if is_stored(cur, key) else ORPHANED


def adjudicate(
    store: Store,
    kind: str,
    *,
    verdict: str,
    reason: str,
    by: str | None = None,
    verdict_kam=None,
    dispute_id=None,
    viewer: Viewer | None = None,
    **key,
) -> tuple[int, str | None]:
    """Store the director's verdict on one row (``key``: see row_key), replacing an earlier adjudication of the
    same row (kept, with replaced_by set). Returns (adjudication id, warning key or None): a row that is not stored
    is accepted with the warning ORPHANED. Raises DecisionError for a bad key, verdict, KAM or a missing reason."""
    by = _by(by, viewer, "adjudicate")
    found = row_key(store, kind, **key)
    verdict_kam = _kam(verdict_kam)
    check_verdict(kind, verdict, verdict_kam)
    reason = _required(reason, "reason")
    with store._writing() as cur:
        made = _adjudicate(cur, found, verdict, verdict_kam, reason, by, dispute_id)
        details = {**_key_details(found), "verdict": verdict, "verdict_kam": verdict_kam, "reason": reason}
        audit.record(cur, by, "adjudicate", f"#{made[0]} {_target(found)}", {**details, "warning": made[1]})
        return made


def remove_adjudication(
    store: Store,
    adjudication_id: int,
    by: str | None = None,
    reason: str | None = None,
    *,
    viewer: Viewer | None = None,
) -> None:
    """Remove a live adjudication: its row takes the engine's verdict again (the adjudication stays stored,
    marked removed). Raises DecisionError when there is no such adjudication or it is no longer live."""
    by = _by(by, viewer, "adjudicate")
    with store._writing() as cur:
        found = cur.execute(
            "select replaced_by, removed_at from adjudications where adjudication_id = ?", [adjudication_id]
        ).fetchall()
        if not found:
            raise DecisionError("decisions.no_adjudication", id=adjudication_id)
        replaced_by, removed_at = found[0]
        if removed_at is not None:
            raise DecisionError("decisions.already_removed", id=adjudication_id)
        if replaced_by is not None:
            raise DecisionError("decisions.already_replaced", id=adjudication_id, by=replaced_by)
        cur.execute(
            "update adjudications set removed_at = ?, removed_by = ?, removed_reason = ? where adjudication_id = ?",
            [_now(), by, normalize.clean_text(reason), adjudication_id],
        )
        row = cur.execute(
            "select kind, kam, phone, row_at, row_date, unit_key, property, verdict, verdict_kam from adjudications "
            "where adjudication_id = ?",
            [adjudication_id],
        ).fetchall()[0]
        details = dict(zip(("kind", "kam", "phone", "row_at", "row_date", "unit_key", "property", "verdict",
                            "verdict_kam"), row, strict=True))  # fmt: skip
        details["reason"] = normalize.clean_text(reason)
        audit.record(cur, by, "remove_adjudication", f"#{adjudication_id}", details)


def stored_adjudications(store: Store) -> pd.DataFrame:
    """Every adjudication ever stored (live, replaced and removed), by id."""
    return _frame(store.cursor().execute("select * from adjudications order by adjudication_id"))


def _frame(result) -> pd.DataFrame:
    """A query's rows as Python values (ids stay int, a missing value is None) in a frame."""
    return pd.DataFrame(result.fetchall(), columns=[d[0] for d in result.description], dtype=object)


# -- disputes (申诉) ---------------------------------------------------------------------------------------------


def file(
    store: Store,
    kind: str,
    *,
    asked_verdict: str,
    note,
    by: str | None = None,
    asked_kam=None,
    viewer: Viewer | None = None,
    **key,
) -> tuple[int, str | None]:
    """File a dispute on one row asking for ``asked_verdict`` (and ``asked_kam`` for a deal), state open.
    Returns (dispute id, warning key or None: ORPHANED for a row not stored). Who may file (SPEC §10) is checked
    by the accounts layer; ``by`` (or the viewer's login) is recorded."""
    by = _by(by, viewer, "file_dispute")
    found = row_key(store, kind, **key)
    asked_kam = _kam(asked_kam)
    check_verdict(kind, asked_verdict, asked_kam)
    with store._writing() as cur:
        new_id = cur.execute("select coalesce(max(dispute_id), 0) + 1 from disputes").fetchall()[0][0]
        cur.execute(
            f"insert into disputes (dispute_id, kind, {', '.join(ROW_COLUMNS)}, asked_verdict, asked_kam, note, "
            "filed_by, filed_at, state) values (" + ", ".join(["?"] * 16) + ")",
            [new_id, kind, *found.values(), asked_verdict, asked_kam, normalize.clean_text(_cell(note)), by, _now(),
             codes.DISPUTE_OPEN],
        )  # fmt: skip
        warning = None if is_stored(cur, found) else ORPHANED
        details = {
            **_key_details(found),
            "asked_verdict": asked_verdict,
            "asked_kam": asked_kam,
            "warning": warning,
        }
        audit.record(cur, by, "dispute_file", f"#{new_id} {_target(found)}", details)
        return new_id, warning


def _open_dispute(cur, dispute_id: int, action: str) -> dict:
    """The dispute as a dict when it is open; DecisionError naming its state otherwise."""
    found = cur.execute("select * from disputes where dispute_id = ?", [dispute_id])
    rows = found.fetchall()
    if not rows:
        raise DecisionError("decisions.no_dispute", id=dispute_id)
    dispute = dict(zip([d[0] for d in found.description], rows[0], strict=True))
    if dispute["state"] != codes.DISPUTE_OPEN:
        raise DecisionError("decisions.dispute_closed", id=dispute_id, state=dispute["state"], action=action)
    return dispute


def withdraw(store: Store, dispute_id: int, by: str | None = None, *, viewer: Viewer | None = None) -> None:
    """The filer withdraws an open dispute. Raises DecisionError for anyone else or a dispute not open."""
    by = _by(by, viewer, "file_dispute")
    with store._writing() as cur:
        dispute = _open_dispute(cur, dispute_id, "withdraw")
        if dispute["filed_by"] != by:
            raise DecisionError("decisions.not_filer", id=dispute_id, filer=dispute["filed_by"])
        cur.execute(
            "update disputes set state = 'withdrawn', decided_by = ?, decided_at = ? where dispute_id = ?",
            [by, _now(), dispute_id],
        )
        audit.record(cur, by, "dispute_withdraw", f"#{dispute_id}", {"kind": dispute["kind"]})


def reject(
    store: Store, dispute_id: int, by: str | None = None, reason=None, *, viewer: Viewer | None = None
) -> None:
    """Reject an open dispute with a reason (required); no result changes."""
    by = _by(by, viewer, "decide_disputes")
    reason = _required(reason, "reason")
    with store._writing() as cur:
        dispute = _open_dispute(cur, dispute_id, "reject")
        cur.execute(
            "update disputes set state = 'rejected', decided_by = ?, decided_at = ?, decision_reason = ? "
            "where dispute_id = ?",
            [by, _now(), reason, dispute_id],
        )
        details = {"kind": dispute["kind"], "filed_by": dispute["filed_by"], "reason": reason}
        audit.record(cur, by, "dispute_reject", f"#{dispute_id}", details)


def accept(
    store: Store,
    dispute_id: int,
    by: str | None = None,
    *,
    reason,
    verdict: str | None = None,
    verdict_kam=None,
    rules=None,
    viewer: Viewer | None = None,
) -> tuple[int, str | None]:
    """Accept an open dispute: the adjudication it asked for (or ``verdict``/``verdict_kam`` when the director
    decides otherwise; an attributed deal verdict without a KAM takes the KAM asked for) is made with the
    dispute's id, and the customer's story as it stood before the decision is kept with it (JSON). Returns the
    adjudication's (id, warning key or None)."""
    by = _by(by, viewer, "decide_disputes")
    reason = _required(reason, "reason")
    cur = store.cursor()
    try:
        dispute = _open_dispute(cur, dispute_id, "accept")
    finally:
        cur.close()
    kind = dispute["kind"]
    verdict = verdict or dispute["asked_verdict"]
    if verdict_kam is None and verdict in ("visit_deal", "lead_deal"):
        verdict_kam = dispute["asked_kam"]  # the KAM the dispute asked for, unless the director names another
    verdict_kam = _kam(verdict_kam)
    check_verdict(kind, verdict, verdict_kam)
    story = _story(store, dispute["phone"], rules)
    key = RowKey(kind, **{c: dispute[c] for c in ROW_COLUMNS})
    with store._writing() as cur:
        _open_dispute(cur, dispute_id, "accept")  # again inside the transaction: no second decision meanwhile
        made = _adjudicate(cur, key, verdict, verdict_kam, reason, by, dispute_id)
        cur.execute(
            "update disputes set state = 'accepted', decided_by = ?, decided_at = ?, decision_reason = ?, "
            "adjudication_id = ?, story = ? where dispute_id = ?",
            [by, _now(), reason, made[0], story, dispute_id],
        )
        details = {**_key_details(key), "verdict": verdict, "verdict_kam": verdict_kam, "reason": reason}
        audit.record(cur, by, "dispute_accept", f"#{dispute_id}", {**details, "adjudication_id": made[0]})
        return made


def _story(store: Store, phone: str | None, rules) -> str | None:
    """The customer's story as JSON records: every registration, lead, visit and deal of the phone in the engine's
    order (story.customer_events) with its file and row, and the claim holder at each lead and visit
    (``claim_kam``); None for a unit (it has no phone)."""
    if phone is None:
        return None
    from kam_metrics.engine import report, story

    results = report.compute(store, rules)
    events = story.customer_events(results, phone)
    files = dict(store.cursor().execute("select upload_id, file_name from uploads").fetchall())
    holders = {}
    for event, frame in (("lead", results.leads), ("visit", results.visits)):
        mine = frame[frame["phone"] == phone]
        for upload_id, row_no, holder in zip(
            mine["upload_id"], mine["row_no"], mine["claim_kam"], strict=True
        ):
            holders[(event, int(upload_id), int(row_no))] = holder if isinstance(holder, str) else None
    records = events.to_dict("records")
    for r in records:
        r["file"] = files.get(r["upload_id"])
        r["claim_kam"] = holders.get((r["event"], r["upload_id"], r["row_no"]))
    return json.dumps(records, ensure_ascii=False, default=audit.json_value)


def disputes(store: Store, state: str | None = None) -> pd.DataFrame:
    """The stored disputes (optionally in one state), by id."""
    if state is not None and state not in codes.DISPUTE_STATES:
        raise DecisionError("decisions.bad_state", state=state, allowed=", ".join(codes.DISPUTE_STATES))
    where = "" if state is None else "where state = ?"
    return (
        store.cursor()
        .execute(f"select * from disputes {where} order by dispute_id", [state] if state else [])
        .df()
    )
