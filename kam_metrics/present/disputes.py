"""The disputes page's view (申诉与裁定, SPEC §8): the rows a viewer may dispute, their disputes, the director's queue
with the customer's story as evidence and the what-if, the adjudications; and the page's actions, each checked
against the viewer's role (access.roles) before it reaches ingest.decisions."""

from __future__ import annotations

import dataclasses

import pandas as pd

from kam_metrics.access import roles
from kam_metrics.access.roles import Viewer
from kam_metrics.contract import codes
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.ingest import decisions
from kam_metrics.ingest.store import Store
from kam_metrics.present.dispute_evidence import (
    WhatIf,
    claim_now,
    evidence,
    week_change,
    whatif,
    whatif_table,
)
from kam_metrics.present.dispute_rows import (
    KINDS,
    Row,
    adjudicated_mark,
    kams,
    may_see_kam,
    needs_kam,
    reported_phones,
    rows,
    status_with_mark,
    teams_of,
    verdicts,
)
from kam_metrics.present.format import day, mask_phone, mask_text, shown, stamp, text

# Re-exported: the page and the tests reach every part of the disputes view through this module.
__all__ = [
    "KINDS", "Row", "WhatIf", "adjudicated_mark", "claim_now", "evidence", "kams", "may_see_kam", "needs_kam",
    "rows", "status_with_mark", "verdicts", "week_change", "whatif", "whatif_table",
    "Dispute", "DisputesView", "view", "open_count", "disputes_table", "adjudications_table",
    "file_dispute", "withdraw", "accept", "reject", "adjudicate", "remove",
]  # fmt: skip

DISPUTES = ["id", "state", "row_kind", "the_row", "asked", "note", "filed_by", "filed_at", "decision"]
ADJUDICATIONS = [
    "id",
    "row_kind",
    "the_row",
    "verdict",
    "kam",
    "reason",
    "decided_by",
    "decided_at",
    "dispute",
    "orphaned",
]


# -- disputes -----------------------------------------------------------------------------------------------------
def _row_text(d: dict) -> str:
    """A dispute's or adjudication's row as a director reads it, the phone masked."""
    if d["kind"] in ("lead", "visit"):
        return " · ".join(
            [text(d["kam"]), mask_phone(d["phone"]), stamp(d["row_at"], bool(d["row_at_date_only"]))]
        )
    if d["kind"] == "unit":
        return " · ".join([text(d["kam"]), day(d["row_date"]), text(d["unit_name"])])
    return " · ".join([text(d["property"]), mask_phone(d["phone"]), day(d["row_date"])])


def _verdict_text(kind: str, verdict: str, kam: object, lang: str) -> str:
    shown_word = verdicts(kind, lang).get(verdict, verdict)
    return f"{shown_word} · {kam}" if text(kam) else shown_word


def _dispute_kam_visible(viewer: Viewer, d: dict, teams: dict[str, str], reported: set[str] | None) -> bool:
    if viewer.sees_all or d.get("filed_by") == viewer.login:
        return True
    if d["kind"] == "deal":
        return may_see_kam(viewer, d.get("asked_kam"), teams) or (
            reported is not None and text(d["phone"]) in reported
        )
    return may_see_kam(viewer, d["kam"], teams)


@dataclasses.dataclass(frozen=True)
class Dispute:
    """One dispute as shown: its state, row, the outcome asked for, and what the viewer may do with it."""

    id: int
    kind: str
    state: str
    row: dict  # the stored dispute's row columns (decisions.ROW_COLUMNS)
    row_text: str
    asked_verdict: str
    asked_kam: str | None
    asked: str
    note: str
    filed_by: str
    label: str  # for a pick list: "#3 · 待处理 · 带访 · 王伟 · 138****5678 · …"
    may_withdraw: bool
    may_decide: bool


def _disputes(store: Store, results: Results, viewer: Viewer, lang: str) -> list[tuple[Dispute, dict]]:
    teams = teams_of(results)
    reported = None if viewer.sees_all else reported_phones(results, viewer, teams)
    frame = decisions.disputes(store)
    out = []
    for d in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        if not _dispute_kam_visible(viewer, d, teams, reported):
            continue
        is_open = d["state"] == codes.DISPUTE_OPEN
        state = t(f"decisions.state.{d['state']}", lang)
        row_text = _row_text(d)
        kind_word = t(f"disputes.kind.{d['kind']}", lang)
        item = Dispute(
            id=int(d["dispute_id"]), kind=d["kind"], state=d["state"],
            row={c: d[c] for c in decisions.ROW_COLUMNS}, row_text=row_text,
            asked_verdict=d["asked_verdict"], asked_kam=d["asked_kam"],
            asked=_verdict_text(d["kind"], d["asked_verdict"], d["asked_kam"], lang), note=text(d["note"]),
            filed_by=text(d["filed_by"]),
            label=f"#{int(d['dispute_id'])} · {state} · {kind_word} · {row_text}",
            may_withdraw=is_open and d["filed_by"] == viewer.login,
            may_decide=is_open and viewer.may("decide_disputes"),
        )  # fmt: skip
        out.append((item, d))
    out.sort(key=lambda pair: (pair[0].state != codes.DISPUTE_OPEN, -pair[0].id))  # the queue: open first
    return out


def open_count(store: Store, viewer: Viewer, results: Results | None = None) -> int:
    """Open disputes the viewer acts on, for the navigation's badge: the director's queue (every open dispute);
    for a team lead or KAM their own open disputes (filed by them); 0 for finance."""
    if not isinstance(store, Store):
        raise TypeError(f"open_count needs a Store, not {type(store).__name__}")
    frame = decisions.disputes(store, codes.DISPUTE_OPEN)
    if viewer.may("decide_disputes"):
        return len(frame)
    if not viewer.may("file_dispute"):
        return 0
    return int((frame["filed_by"] == viewer.login).sum())


def _decision_text(d: dict, lang: str) -> str:
    if d["state"] == "accepted":
        return t(
            "disputes.decision.accepted",
            lang,
            id=int(d["adjudication_id"]),
            reason=text(d["decision_reason"]),
        )
    if d["state"] == "rejected":
        return t("disputes.decision.rejected", lang, reason=text(d["decision_reason"]))
    if d["state"] == "withdrawn":
        return t("disputes.decision.withdrawn", lang, by=text(d["decided_by"]))
    return ""


def disputes_table(items: list[tuple[Dispute, dict]], lang: str) -> pd.DataFrame:
    """The disputes as a table: id, state, kind, row, asked, note, filed by and at, the decision."""
    return shown(
        [
            {
                "id": f"#{item.id}",
                "state": t(f"decisions.state.{item.state}", lang),
                "row_kind": t(f"disputes.kind.{item.kind}", lang),
                "the_row": item.row_text,
                "asked": item.asked,
                "note": mask_text(item.note),
                "filed_by": item.filed_by,
                "filed_at": stamp(d["filed_at"]),
                "decision": _decision_text(d, lang),
            }
            for item, d in items
        ],
        DISPUTES,
        lang,
    )


# -- adjudications ------------------------------------------------------------------------------------------------
def adjudications_table(results: Results, viewer: Viewer, lang: str) -> pd.DataFrame:
    """The adjudications in force the viewer may see, orphaned ones marked (their row is not stored)."""
    teams = teams_of(results)
    found = []
    for a in results.adjudications.itertuples(index=False):
        if not may_see_kam(viewer, a.kam, teams):
            continue
        found.append(
            {"id": f"#{int(a.id)}", "row_kind": t(f"disputes.kind.{a.kind}", lang), "the_row": mask_text(a.ref),
             "verdict": verdicts(a.kind, lang).get(a.verdict, a.verdict), "kam": text(a.kam), "reason": text(a.reason),
             "decided_by": text(a.decided_by), "decided_at": stamp(a.decided_at),
             "dispute": "" if pd.isna(a.dispute) else f"#{int(a.dispute)}",
             "orphaned": t("disputes.orphaned", lang) if a.orphaned else ""}
        )  # fmt: skip
    return shown(found, ADJUDICATIONS, lang)


# -- the view -----------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DisputesView:
    """The disputes page for one viewer: what they may do, the row picker, their disputes or the queue, the chosen
    dispute with its evidence, and the adjudications."""

    may_file: bool
    may_decide: bool
    may_adjudicate: bool
    kinds: dict[str, str]
    kams: list[str]
    rows: list[Row]
    verdicts: dict[str, str]
    disputes: list[Dispute]
    table: pd.DataFrame
    open_count: int
    chosen: Dispute | None
    evidence: pd.DataFrame | None
    claim: str
    adjudications: pd.DataFrame
    adjudication_ids: list[int]


def view(
    results: Results,
    viewer: Viewer,
    lang: str,
    *,
    store: Store,
    kind: str = "visit",
    kam: str | None = None,
    refused_only: bool = False,
    dispute: int | None = None,
) -> DisputesView:
    """The disputes page: rows of ``kind`` (and ``kam``) to file on or adjudicate, the viewer's disputes (the
    director: every dispute, open first), the chosen ``dispute`` (default: the first open one the viewer may
    decide) with its evidence, and the adjudications in force."""
    roles.require_page(viewer, "disputes")
    kind = kind if kind in KINDS else "visit"
    pairs = _disputes(store, results, viewer, lang)
    items = [item for item, _ in pairs]
    chosen = next((i for i in items if i.id == dispute), None)
    # The evidence names every KAM of the customer's story: only the director, who decides, sees it (SPEC §10).
    decides = viewer.may("decide_disputes")
    if chosen is None and dispute is None and decides:
        chosen = next((i for i in items if i.state == codes.DISPUTE_OPEN), None)
    teams = teams_of(results)
    live = [
        int(a.id) for a in results.adjudications.itertuples(index=False) if may_see_kam(viewer, a.kam, teams)
    ]
    return DisputesView(
        may_file=viewer.may("file_dispute"),
        may_decide=viewer.may("decide_disputes"),
        may_adjudicate=viewer.may("adjudicate"),
        kinds={k: t(f"disputes.kind.{k}", lang) for k in KINDS},
        kams=kams(results, viewer),
        rows=rows(results, viewer, kind, lang, kam, refused_only),
        verdicts=verdicts(kind, lang),
        disputes=items,
        table=disputes_table(pairs, lang),
        open_count=sum(1 for i in items if i.state == codes.DISPUTE_OPEN),
        chosen=chosen,
        evidence=evidence(results, store, chosen.kind, chosen.row, lang) if chosen and decides else None,
        claim=claim_now(results, chosen.kind, chosen.row, lang) if chosen and decides else "",
        adjudications=adjudications_table(results, viewer, lang),
        adjudication_ids=live if viewer.may("adjudicate") else [],
    )


# -- actions (each checked against the viewer's role, then made in the store) -------------------------------------
def _own_row(results: Results, viewer: Viewer, row: Row) -> None:
    """Refuse a row the viewer may not see (a KAM files only on their own rows, a team lead on their team's)."""
    if viewer.sees_all:
        return
    found = rows(results, viewer, row.kind, "en")
    if not any(r.key == row.key for r in found):
        raise roles.Refused(viewer, "file_dispute")


def file_dispute(
    store: Store, results: Results, viewer: Viewer, row: Row, asked: str, note: str, asked_kam=None
):
    """File a dispute on ``row`` asking for ``asked`` (and ``asked_kam`` for an attributed deal). Returns
    (dispute id, warning key or None)."""
    roles.require(viewer, "file_dispute")
    _own_row(results, viewer, row)
    return roles.call_as(decisions.file, store, row.kind, asked_verdict=asked, note=note, asked_kam=asked_kam or None,
                         viewer=viewer, **row.key)  # fmt: skip


def withdraw(store: Store, viewer: Viewer, dispute_id: int) -> None:
    roles.require(viewer, "file_dispute")
    roles.call_as(decisions.withdraw, store, dispute_id, viewer=viewer)


def accept(
    store: Store, viewer: Viewer, dispute_id: int, reason: str, verdict=None, verdict_kam=None, rules=None
):
    roles.require(viewer, "decide_disputes")
    return roles.call_as(decisions.accept, store, dispute_id, viewer=viewer, reason=reason, verdict=verdict,
                         verdict_kam=verdict_kam or None, rules=rules)  # fmt: skip


def reject(store: Store, viewer: Viewer, dispute_id: int, reason: str) -> None:
    roles.require(viewer, "decide_disputes")
    roles.call_as(decisions.reject, store, dispute_id, viewer=viewer, reason=reason)


def adjudicate(store: Store, viewer: Viewer, row: Row, verdict: str, reason: str, verdict_kam=None):
    """The director's direct adjudication of ``row``. Returns (adjudication id, warning key or None)."""
    roles.require(viewer, "adjudicate")
    return roles.call_as(decisions.adjudicate, store, row.kind, verdict=verdict, reason=reason,
                         verdict_kam=verdict_kam or None, viewer=viewer, **row.key)  # fmt: skip


def remove(store: Store, viewer: Viewer, adjudication_id: int, reason: str) -> None:
    """Remove a live adjudication with a reason (required on screen): its row takes the engine's verdict again."""
    roles.require(viewer, "adjudicate")
    if not text(reason).strip():
        raise decisions.DecisionError("decisions.missing", field="reason")
    roles.call_as(decisions.remove_adjudication, store, adjudication_id, viewer=viewer, reason=reason)
