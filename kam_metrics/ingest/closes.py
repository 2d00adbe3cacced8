"""Closing and reopening months in the store (SPEC §9): the closes, their frozen items, and the listing."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from kam_metrics.access import audit
from kam_metrics.access.roles import Viewer
from kam_metrics.contract.errors import CodedError
from kam_metrics.contract.rules import Rules
from kam_metrics.engine import close as period_close
from kam_metrics.ingest.store import Store

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class CloseRefused(CodedError, ValueError):
    """A close or reopen the rules of SPEC §9 do not allow; ``code`` names the rule (locale key close.refused.*)."""

    PREFIX = "close.refused."


def _checked(month: str) -> str:
    if not isinstance(month, str) or not _MONTH.match(month):
        raise CloseRefused("bad_month", month=month)
    return month


def _live(cur) -> list[tuple[int, str, bool]]:
    """(close_id, month, implicit) of every close not reopened, by month."""
    return cur.execute(
        "select close_id, month, implicit from closes where reopened_at is null order by month"
    ).fetchall()


def _by(by: str | None, viewer: Viewer | None, action: str) -> str:
    """``viewer.login`` when a viewer is given (after roles.require), else ``by`` (the command line's viewer)."""
    acting = audit.acting(viewer, action)
    return acting.login if viewer is not None or by is None else by


def close_month(
    store: Store,
    month: str,
    by: str | None = None,
    rules: Rules | None = None,
    as_of: dt.date | None = None,
    *,
    viewer: Viewer | None = None,
) -> dict:
    """Close ``month`` (SPEC §9) and freeze its items, computed now under ``rules`` and ``as_of`` (default: §4's).

    Earlier months without a statement row since the latest close are closed with it, implicitly and with no
    items. The compute and the freeze happen under the store's write lock, so no upload lands in between.
    Returns {close_id, month, items, adjustments, implicit: [months]}. Raises CloseRefused naming the rule.
    """
    from kam_metrics.engine import report  # report imports the store; imported here to keep ingest light

    by = _by(by, viewer, "close")
    _checked(month)
    with store._writing() as cur:
        results = report.compute(store, rules, as_of)  # a fresh snapshot: writers wait on the lock we hold
        if results.as_of is None:
            raise CloseRefused("no_data")
        last_day = period_close.month_end(month)
        if last_day > results.as_of:
            raise CloseRefused("not_over", month=month, last_day=last_day, as_of=results.as_of)
        live = _live(cur)
        latest = live[-1][1] if live else None
        if latest is not None and month <= latest:
            raise CloseRefused("already_closed", month=month, latest=latest)
        with_rows = set(results.statement["month"].tolist())
        first = period_close.next_month(latest) if latest else min(with_rows | {month})
        between = period_close.months_from(first, month)
        still_open = [m for m in between if m in with_rows]
        if still_open:
            raise CloseRefused("earlier_open", month=month, months=", ".join(still_open))
        disputes = cur.execute(
            """select dispute_id from disputes where state = 'open'
                 and strftime(coalesce(row_date, row_at::date), '%Y-%m') = ? order by dispute_id""",
            [month],
        ).fetchall()
        if disputes:
            raise CloseRefused("dispute_open", month=month, ids=", ".join(f"#{d[0]}" for d in disputes))
        now = dt.datetime.now().replace(microsecond=0)
        seen = cur.execute(
            """select greatest(coalesce((select max(upload_id) from uploads), 0),
                               coalesce((select max(value::integer) from meta where key = 'last_upload_id'), 0))"""
        ).fetchone()[0]
        close_id = None
        for m in [*between, month]:
            close_id = cur.execute("select coalesce(max(close_id), 0) + 1 from closes").fetchone()[0]
            cur.execute(
                """insert into closes (close_id, month, closed_at, closed_by, as_of, implicit, last_upload_id)
                   values (?, ?, ?, ?, ?, ?, ?)""",
                [close_id, m, now, by, results.as_of, m != month, seen],
            )
        items = period_close.frozen_items(results, month)
        if items:
            frame = pd.DataFrame(
                items, columns=["kam", "kind", "ref", "source_month", "amount", "is_adjustment", "reason"]
            ).assign(close_id=close_id, amount=lambda f: f["amount"].map(str))
            cur.register("kam_close_items", frame)
            try:
                cur.execute(
                    """insert into close_items (close_id, kam, kind, ref, source_month, amount, is_adjustment, reason)
                       select close_id, kam, kind, ref, source_month, amount::decimal(18, 2), is_adjustment, reason
                       from kam_close_items"""
                )
            finally:
                cur.unregister("kam_close_items")
        done = {"close_id": close_id, "as_of": results.as_of, "items": len(items)}
        done.update(adjustments=sum(1 for i in items if i[5]), implicit=between)
        audit.record(cur, by, "close", month, done, at=now)
    return {
        "close_id": close_id,
        "month": month,
        "items": len(items),
        "adjustments": sum(1 for i in items if i[5]),
        "implicit": between,
    }


def reopen_month(
    store: Store, month: str, reason: str, by: str | None = None, *, viewer: Viewer | None = None
) -> str | None:
    """Reopen ``month``, the latest closed one, with a reason (SPEC §9): its close and the implicit closes just
    before it are marked reopened (their items then count for nothing). Returns the latest closed month after."""
    by = _by(by, viewer, "reopen")
    _checked(month)
    if not (reason or "").strip():
        raise CloseRefused("reason_required")
    with store._writing() as cur:
        live = _live(cur)
        months = [m for _, m, _ in live]
        if month not in months:
            raise CloseRefused("not_closed", month=month)
        if month != months[-1]:
            raise CloseRefused("not_latest", month=month, latest=months[-1])
        reopened = [live[-1][0]]
        for close_id, _, implicit in reversed(live[:-1]):
            if not implicit:
                break
            reopened.append(close_id)
        now = dt.datetime.now().replace(microsecond=0)
        cur.execute(
            f"""update closes set reopened_at = ?, reopened_by = ?, reopen_reason = ?
                where close_id in ({", ".join("?" * len(reopened))})""",
            [now, by, reason.strip(), *reopened],
        )
        left = [m for close_id, m, _ in live if close_id not in reopened]
        reopened_months = [m for close_id, m, _ in live if close_id in reopened]
        details = {
            "reason": reason.strip(),
            "months": reopened_months,
            "latest_closed": left[-1] if left else None,
        }
        audit.record(cur, by, "reopen", month, details, at=now)
    return left[-1] if left else None


def closes(store: Store) -> pd.DataFrame:
    """Every close ever made, reopened ones included, with its frozen item and adjustment counts."""
    cur = store.cursor()
    try:
        return cur.execute(
            """select c.close_id, c.month, c.implicit, c.closed_at, c.closed_by, c.as_of,
                      count(i.close_id) filter (where not i.is_adjustment) as items,
                      count(i.close_id) filter (where i.is_adjustment) as adjustments,
                      c.reopened_at, c.reopened_by, c.reopen_reason
               from closes c left join close_items i using (close_id)
               group by all order by c.close_id"""
        ).df()
    finally:
        cur.close()
