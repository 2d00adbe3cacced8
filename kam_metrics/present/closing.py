"""The close page's view (月结, SPEC §9): per month the statement per KAM and what blocks its close, the open month's
adjustments with their reasons, the list of closes; and the close and reopen actions, checked against the role."""

from __future__ import annotations

import dataclasses

import pandas as pd

from kam_metrics.access import roles
from kam_metrics.access.roles import Viewer
from kam_metrics.contract import codes
from kam_metrics.engine import close as period_close
from kam_metrics.engine.close_reasons import describe
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.ingest import closes as store_closes
from kam_metrics.ingest import decisions
from kam_metrics.ingest.closes import CloseRefused
from kam_metrics.ingest.store import Store
from kam_metrics.present.format import day, mask_text, money, shown, stamp, text

STATEMENT = ["kam", "team", "commission", "clawback", "fines", "adjustments", "net", "state"]
ADJUSTMENTS = ["kam", "team", "source_month", "row_kind", "ref", "amount", "reason"]
CLOSES = ["close_id", "month", "state", "closed_at", "closed_by", "as_of", "items", "adjustments"]


def live_months(store: Store) -> list[str]:
    """The closed months (closes not reopened), oldest first."""
    frame = store_closes.closes(store)
    return sorted(frame.loc[frame["reopened_at"].isna(), "month"].astype(str))


def _dispute_month(d: dict) -> str | None:
    when = d["row_date"] if d["row_date"] is not None and not pd.isna(d["row_date"]) else d["row_at"]
    return None if when is None or pd.isna(when) else f"{pd.Timestamp(when):%Y-%m}"


def blockers(results: Results, store: Store, month: str) -> list[CloseRefused]:
    """Every rule of SPEC §9 that refuses closing ``month`` now, as the coded errors ingest.closes.close_month
    raises (it raises the first; here all are listed before the button): no_data, not_over, already_closed,
    earlier_open, dispute_open. Empty: the month may be closed."""
    if results.as_of is None:
        return [CloseRefused("no_data")]
    found = []
    last_day = period_close.month_end(month)
    if last_day > results.as_of:
        found.append(CloseRefused("not_over", month=month, last_day=last_day, as_of=results.as_of))
    closed = live_months(store)
    latest = closed[-1] if closed else None
    if latest is not None and month <= latest:
        return [*found, CloseRefused("already_closed", month=month, latest=latest)]
    with_rows = set(results.statement["month"].astype(str))
    first = period_close.next_month(latest) if latest else min(with_rows | {month})
    still_open = [m for m in period_close.months_from(first, month) if m in with_rows]
    if still_open:
        found.append(CloseRefused("earlier_open", month=month, months=", ".join(still_open)))
    frame = decisions.disputes(store, codes.DISPUTE_OPEN)
    ids = [
        int(d["dispute_id"])
        for d in frame.astype(object).where(frame.notna(), None).to_dict("records")
        if _dispute_month(d) == month
    ]
    if ids:
        found.append(CloseRefused("dispute_open", month=month, ids=", ".join(f"#{i}" for i in ids)))
    return found


def statement_table(results: Results, month: str, lang: str) -> pd.DataFrame:
    """The month's statement per KAM: commission, clawback, fines, adjustments, net, and 已月结 (frozen figures) or
    未月结 (provisional)."""
    rows = results.statement[results.statement["month"] == month]
    return shown(
        [
            {
                "kam": r.kam,
                "team": r.team,
                **{
                    c: money(getattr(r, c)) for c in ("commission", "clawback", "fines", "adjustments", "net")
                },
                "state": t("ui.close.frozen" if bool(r.closed) else "ui.close.provisional", lang),
            }
            for r in rows.itertuples(index=False)
        ],
        STATEMENT,
        lang,
    )


def adjustments_table(results: Results, month: str, lang: str) -> pd.DataFrame:
    """The adjustments landing in ``month``: KAM, source month, kind, ref (phone masked), effect on net, reason."""
    rows = results.adjustments[results.adjustments["month"] == month]
    return shown(
        [
            {
                "kam": r.kam,
                "team": r.team,
                "source_month": r.source_month,
                "row_kind": t(f"ui.close.kind.{r.kind}", lang),
                "ref": mask_text(r.ref),
                "amount": money(r.amount),
                "reason": mask_text(describe(r.reason, lang)),
            }
            for r in rows.itertuples(index=False)
        ],
        ADJUSTMENTS,
        lang,
    )


def closes_table(store: Store, lang: str) -> pd.DataFrame:
    """Every close, newest first: month, 已月结 or who reopened it when and why, frozen items and adjustments."""
    frame = store_closes.closes(store)
    found = []
    for c in frame.astype(object).where(frame.notna(), None).to_dict("records")[::-1]:
        if c["reopened_at"] is None:
            state = t("close.state.closed", lang)
        else:
            state = t("close.state.reopened", lang, at=stamp(c["reopened_at"]), by=c["reopened_by"],
                      reason=text(c["reopen_reason"]))  # fmt: skip
        if c["implicit"]:
            state += " · " + t("ui.close.implicit", lang)
        found.append(
            {"close_id": f"#{int(c['close_id'])}", "month": c["month"], "state": state, "closed_at": stamp(c["closed_at"]),
             "closed_by": text(c["closed_by"]), "as_of": day(c["as_of"]), "items": int(c["items"]),
             "adjustments": int(c["adjustments"])}
        )  # fmt: skip
    frame = pd.DataFrame(found, columns=CLOSES)
    return frame.rename(columns={c: t(f"close.col.{c}", lang) for c in CLOSES})


@dataclasses.dataclass(frozen=True)
class MonthView:
    """One month on the close page: closed or not, the statement, what blocks its close, its adjustments."""

    month: str
    closed: bool
    statement: pd.DataFrame
    blockers: list[str]  # the messages, in ``lang``
    codes: list[str]  # their codes (close.refused.<code>)
    adjustments: pd.DataFrame
    may_close: bool  # the viewer may close and nothing blocks it


@dataclasses.dataclass(frozen=True)
class ClosingView:
    """The close page: the months (oldest first) and the chosen one, the open month, the latest closed month and
    whether the viewer may reopen it, and the list of closes."""

    months: list[str]
    closed: list[str]
    latest: str | None
    open_month: str | None
    chosen: MonthView | None
    may_close: bool
    may_reopen: bool
    closes: pd.DataFrame


def months(results: Results, store: Store) -> list[str]:
    """Months with a statement row, the closed months, and the open month after the latest closed one."""
    found = set(results.statement["month"].astype(str)) | set(live_months(store))
    closed = live_months(store)
    if closed:
        found.add(period_close.next_month(closed[-1]))
    return sorted(found)


def view(
    results: Results, viewer: Viewer, lang: str, *, store: Store, month: str | None = None
) -> ClosingView:
    """The close page for ``month`` (default: the first month not closed, else the latest)."""
    roles.require_page(viewer, "close")
    shown_months = months(results, store)
    closed = live_months(store)
    latest = closed[-1] if closed else None
    open_month = period_close.next_month(latest) if latest else None
    if month not in shown_months:
        month = next((m for m in shown_months if m not in closed), shown_months[-1] if shown_months else None)
    chosen = None
    if month is not None:
        refused = blockers(results, store, month)
        chosen = MonthView(
            month=month,
            closed=month in closed,
            statement=statement_table(results, month, lang),
            blockers=[e.message(lang) for e in refused],
            codes=[e.code for e in refused],
            adjustments=adjustments_table(results, month, lang),
            may_close=viewer.may("close") and not refused,
        )
    return ClosingView(
        months=shown_months,
        closed=closed,
        latest=latest,
        open_month=open_month,
        chosen=chosen,
        may_close=viewer.may("close"),
        may_reopen=viewer.may("reopen") and latest is not None,
        closes=closes_table(store, lang),
    )


def close(store: Store, viewer: Viewer, month: str) -> dict:
    """Close ``month`` under the stored rules and the default as_of (SPEC §9). Raises CloseRefused or Refused."""
    roles.require(viewer, "close")
    return roles.call_as(store_closes.close_month, store, month, viewer=viewer)


def reopen(store: Store, viewer: Viewer, month: str, reason: str) -> str | None:
    """Reopen the latest closed month with a reason (director). Returns the latest closed month after."""
    roles.require(viewer, "reopen")
    return roles.call_as(store_closes.reopen_month, store, month, reason=reason, viewer=viewer)
