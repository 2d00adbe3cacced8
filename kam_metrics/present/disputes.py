"""The disputes page's view (申诉与裁定, SPEC §8): the rows a viewer may dispute, their disputes, the director's queue
with the customer's story as evidence and the what-if, the adjudications; and the page's actions, each checked
against the viewer's role (access.roles) before it reaches ingest.decisions."""

from __future__ import annotations

import dataclasses
import inspect
from decimal import Decimal

import pandas as pd

from kam_metrics.access import roles
from kam_metrics.access.roles import Viewer
from kam_metrics.contract import codes
from kam_metrics.engine import story, what_if
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.ingest import decisions
from kam_metrics.ingest.store import Store
from kam_metrics.present.customer import claim_text, customer_story
from kam_metrics.present.format import day, mask_phone, mask_text, money, shown, stamp, text, word

KINDS = codes.ADJUDICATION_KINDS
ZERO = Decimal("0.00")
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
WHATIF = ["kam", "team", "fines_now", "fines_new", "commission_now", "commission_new", "adjustments_now",
          "adjustments_new", "net_now", "net_new", "flag_now", "flag_new"]  # fmt: skip
EVIDENCE = ["time", "event", "kam", "status", "detail", "claim_holder", "file", "sheet", "row"]


# -- what SPEC §8 allows ------------------------------------------------------------------------------------------
def verdicts(kind: str, lang: str) -> dict[str, str]:
    """The outcomes SPEC §8 allows for a row of ``kind`` → their words: a lead, visit or unit becomes valid or one
    of its kind's refusal codes (valid first); a deal visit_deal, lead_deal (with a KAM) or unattributed."""
    if kind == "deal":
        return {c: word("type", c, lang) for c in codes.DEAL_TYPES}
    statuses = decisions.STATUSES[kind]
    return {c: word("status", c, lang) for c in (codes.VALID, *[s for s in statuses if s != codes.VALID])}


def needs_kam(kind: str, verdict: str) -> bool:
    """Whether the outcome names a KAM (an attributed deal)."""
    return kind == "deal" and verdict in ("visit_deal", "lead_deal")


def adjudicated_mark(reason: object, lang: str) -> str:
    """``人工裁定：<reason>``: shown beside the status of every adjudicated row."""
    return t("disputes.adjudicated", lang, reason=text(reason))


def status_with_mark(status_word: str, adjudication: object, reasons: dict[int, str], lang: str) -> str:
    """A row's status word, followed by the adjudication mark when an adjudication decides the row."""
    if adjudication is None or pd.isna(adjudication):
        return status_word
    return f"{status_word} · {adjudicated_mark(reasons.get(int(adjudication)), lang)}"


def _reasons(results: Results) -> dict[int, str]:
    return dict(zip(results.adjudications["id"].astype(int), results.adjudications["reason"], strict=True))


# -- who may see which row (SPEC §10) -----------------------------------------------------------------------------
def _teams(results: Results) -> dict[str, str]:
    return dict(zip(results.kams["kam"], results.kams["team"], strict=True))


def may_see_kam(viewer: Viewer, kam: object, teams: dict[str, str]) -> bool:
    """A row's KAM is the viewer's own (kam), one of their team's (team lead), or anyone (director, finance)."""
    if viewer.sees_all:
        return True
    if viewer.role == roles.TEAM_LEAD:
        return bool(viewer.team) and teams.get(text(kam)) == viewer.team
    return bool(viewer.kam) and text(kam) == viewer.kam


def _reported_phones(results: Results, viewer: Viewer, teams: dict[str, str]) -> set[str]:
    """Phones with a lead of a KAM the viewer may see (a KAM may dispute a deal of a phone they reported)."""
    leads = results.leads
    mine = [may_see_kam(viewer, k, teams) for k in leads["kam"]]
    return set(leads.loc[mine, "phone"].astype(str))


# -- rows ---------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Row:
    """One lead, visit, unit or deal line as a pick: its natural key (row_key's keywords), its KAM, its status."""

    kind: str
    kam: str  # "" for an unattributed deal
    phone: str | None
    key: dict
    label: str
    status: str  # the code: a lead/visit/unit status or a deal type
    status_shown: str  # its word, with 人工裁定 and the reason when adjudicated
    adjudication: int | None


def _at(value, date_only: bool) -> str:
    ts = pd.Timestamp(value)
    return f"{ts:%Y-%m-%d}" if date_only else f"{ts:%Y-%m-%d %H:%M:%S}"


def _adj(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def rows(results: Results, viewer: Viewer, kind: str, lang: str, kam: str | None = None, refused_only=False) -> list[Row]:  # fmt: skip
    """The rows of ``kind`` the viewer may see (of one KAM when given), newest first; ``refused_only`` keeps
    leads, visits and units that are not valid and deals nobody holds or another KAM holds."""
    teams, reasons = _teams(results), _reasons(results)
    out: list[Row] = []
    if kind in ("lead", "visit"):
        frame, at = (results.leads, "reported_at") if kind == "lead" else (results.visits, "visited_at")
        for r in frame.itertuples(index=False):
            if (kam and r.kam != kam) or not may_see_kam(viewer, r.kam, teams):
                continue
            if refused_only and r.status == codes.VALID:
                continue
            when, only = getattr(r, at), bool(getattr(r, f"{at}_date_only"))
            status = status_with_mark(word("status", r.status, lang), r.adjudication, reasons, lang)
            label = " · ".join([stamp(when, only), r.kam, mask_phone(r.phone), text(r.customer_name), status])
            key = {"kam": r.kam, "phone": str(r.phone), "at": _at(when, only)}
            out.append(Row(kind, r.kam, str(r.phone), key, label, r.status, status, _adj(r.adjudication)))
        out.sort(key=lambda row: row.key["at"], reverse=True)
        return out
    if kind == "unit":
        for r in results.units.itertuples(index=False):
            if (kam and r.kam != kam) or not may_see_kam(viewer, r.kam, teams):
                continue
            if refused_only and r.status == codes.VALID:
                continue
            status = status_with_mark(word("status", r.status, lang), r.adjudication, reasons, lang)
            label = " · ".join([day(r.date), r.kam, text(r.unit_name), status])
            key = {"kam": r.kam, "date": day(r.date), "unit": text(r.unit_name)}
            out.append(Row(kind, r.kam, None, key, label, r.status, status, _adj(r.adjudication)))
        out.sort(key=lambda row: row.key["date"], reverse=True)
        return out
    lines = results.commissions[results.commissions["line"] == "commission"]
    reported = _reported_phones(results, viewer, teams)
    of_kam = set(results.leads.loc[results.leads["kam"] == kam, "phone"].astype(str)) if kam else set()
    for r in lines.itertuples(index=False):
        holder, phone = text(r.kam), str(r.phone)
        held_by_viewer = bool(holder) and may_see_kam(viewer, holder, teams)
        if not (viewer.sees_all or held_by_viewer or phone in reported):
            continue
        if kam and holder != kam and phone not in of_kam:
            continue
        if refused_only and (held_by_viewer if not viewer.sees_all else bool(holder)):
            continue  # keeps the deals nobody holds, and for a KAM or team lead those another team holds
        status = word("type", r.type, lang)
        shown_status = status_with_mark(status, r.adjudication, reasons, lang)
        label = " · ".join(
            [day(r.signed_date), text(r.property), mask_phone(phone), holder or "—", shown_status]
        )
        key = {"phone": phone, "property": text(r.property), "signed": day(r.signed_date)}
        out.append(Row(kind, holder, phone, key, label, r.type, shown_status, _adj(r.adjudication)))
    out.sort(key=lambda row: row.key["signed"], reverse=True)
    return out


def kams(results: Results, viewer: Viewer) -> list[str]:
    """The KAMs whose rows the viewer may pick, in roster order."""
    teams = _teams(results)
    return [str(k) for k in results.kams["kam"] if may_see_kam(viewer, k, teams)]


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
    teams = _teams(results)
    reported = None if viewer.sees_all else _reported_phones(results, viewer, teams)
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


# -- evidence and what-if -----------------------------------------------------------------------------------------
def evidence(results: Results, store: Store, kind: str, row: dict, lang: str) -> pd.DataFrame:
    """The customer's story of the row's phone (present.customer.customer_story) with each event's file, sheet and
    Excel row and the claim holder the lead or visit met; for a unit, every unit row of that name."""
    files = dict(zip(store.uploads()["upload_id"].astype(int), store.uploads()["file_name"], strict=True))
    if kind == "unit":
        units = results.units[results.units["unit_key"] == row["unit_key"]].sort_values(
            ["date", "upload_id", "row_no"]
        )
        reasons = _reasons(results)
        found = [
            {"time": stamp(u.date, bool(u.date_date_only)), "event": t("disputes.kind.unit", lang), "kam": u.kam,
             "status": status_with_mark(word("status", u.status, lang), u.adjudication, reasons, lang),
             "detail": text(u.unit_name), "claim_holder": "", "file": files.get(int(u.upload_id), ""),
             "sheet": text(u.sheet), "row": str(int(u.row_no))}
            for u in units.itertuples(index=False)
        ]  # fmt: skip
        return shown(found, EVIDENCE, lang)
    phone = text(row["phone"])
    told = customer_story(results, phone, lang)  # the customer page's story, in its order
    events = story.customer_events(results, phone)
    sheets, holders, marks = {}, {}, {}
    reasons = _reasons(results)
    frames = {"registration": results.registrations, "lead": results.leads, "visit": results.visits,
              "deal": results.commissions, "clawback": results.commissions}  # fmt: skip
    for event, frame in frames.items():
        mine = frame[frame["phone"] == phone]
        for r in mine.itertuples(index=False):
            key = (event, int(r.upload_id), int(r.row_no))
            sheets[key] = text(r.sheet)
            holders[key] = text(getattr(r, "claim_kam", ""))
            marks[key] = getattr(r, "adjudication", None)
    extra = []
    for e, status in zip(events.itertuples(index=False), told.iloc[:, 3], strict=True):
        key = (e.event, int(e.upload_id), int(e.row_no))
        extra.append(
            {
                "status": status_with_mark(status, marks.get(key), reasons, lang) if status else status,
                "claim_holder": holders.get(key, ""),
                "file": files.get(int(e.upload_id), ""),
                "sheet": sheets.get(key, ""),
                "row": str(int(e.row_no)),
            }
        )
    out = told.copy()
    out.iloc[:, 3] = [x["status"] for x in extra]
    for c in ("claim_holder", "file", "sheet", "row"):
        out[t(f"ui.col.{c}", lang)] = [x[c] for x in extra]
    return out


def claim_now(results: Results, kind: str, row: dict, lang: str) -> str:
    """Who holds the claim on the row's phone now (empty for a unit)."""
    return "" if kind == "unit" else claim_text(results, text(row["phone"]), lang)


def _totals(results: Results) -> dict[str, dict]:
    out = {}
    for s in results.summary.itertuples(index=False):
        out[s.kam] = {
            "team": s.team,
            "fines": s.fines_total,
            "commission": s.commission_total - s.clawback_total,
            "adjustments": s.adjustments_total,
            "net": s.net_total,
            "flag": s.flag,
        }
    return out


def whatif_table(
    before: Results, after: Results, lang: str, concerned: set[str] = frozenset()
) -> pd.DataFrame:
    """Per KAM concerned (named in ``concerned`` or with any figure changed), fines, commission (after clawbacks),
    adjustments, net and flag before → after the adjudication."""
    a, b = _totals(before), _totals(after)
    empty = {"team": "", "fines": ZERO, "commission": ZERO, "adjustments": ZERO, "net": ZERO, "flag": ""}
    found = []
    for kam in [*a, *(k for k in b if k not in a)]:
        x, y = a.get(kam, empty), b.get(kam, empty)
        if kam not in concerned and all(
            x[f] == y[f] for f in ("fines", "commission", "adjustments", "net", "flag")
        ):
            continue
        found.append(
            {"kam": kam, "team": x["team"] or y["team"],
             **{f"{f}_{w}": money(v[f]) for f in ("fines", "commission", "adjustments", "net") for w, v in (("now", x), ("new", y))},
             "flag_now": word("flag", x["flag"], lang) or "—", "flag_new": word("flag", y["flag"], lang) or "—"}
        )  # fmt: skip
    return shown(found, WHATIF, lang)


def whatif(results: Results, store: Store, kind: str, row: dict, verdict: str, verdict_kam, lang: str) -> pd.DataFrame:  # fmt: skip
    """What accepting would change: results now against results with the adjudication (engine.what_if), for the
    row's KAM, the KAM the verdict names and every KAM whose figures move."""
    after = what_if.with_adjudication(
        store, kind, row, verdict, text(verdict_kam) or None, rules=results.rule_versions, as_of=results.as_of
    )
    concerned = {k for k in (text(row.get("kam")), text(verdict_kam)) if k}
    return whatif_table(results, after, lang, concerned)


# -- adjudications ------------------------------------------------------------------------------------------------
def adjudications_table(results: Results, viewer: Viewer, lang: str) -> pd.DataFrame:
    """The adjudications in force the viewer may see, orphaned ones marked (their row is not stored)."""
    teams = _teams(results)
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
    if chosen is None and dispute is None and viewer.may("decide_disputes"):
        chosen = next((i for i in items if i.state == codes.DISPUTE_OPEN), None)
    teams = _teams(results)
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
        evidence=evidence(results, store, chosen.kind, chosen.row, lang) if chosen else None,
        claim=claim_now(results, chosen.kind, chosen.row, lang) if chosen else "",
        adjudications=adjudications_table(results, viewer, lang),
        adjudication_ids=live if viewer.may("adjudicate") else [],
    )


# -- actions (each checked against the viewer's role, then made in the store) -------------------------------------
def _call(fn, *args, viewer: Viewer, **kwargs):
    """Call an ingest.decisions function for ``viewer``: with ``viewer=`` where it takes one (h-access adds it),
    and ``by=viewer.login`` where ``by`` is still required."""
    params = inspect.signature(fn).parameters
    if "viewer" in params:
        kwargs["viewer"] = viewer
    if "by" in params and ("viewer" not in params or params["by"].default is inspect.Parameter.empty):
        kwargs["by"] = viewer.login
    return fn(*args, **kwargs)


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
    return _call(decisions.file, store, row.kind, asked_verdict=asked, note=note, asked_kam=asked_kam or None,
                 viewer=viewer, **row.key)  # fmt: skip


def withdraw(store: Store, viewer: Viewer, dispute_id: int) -> None:
    roles.require(viewer, "file_dispute")
    _call(decisions.withdraw, store, dispute_id, viewer=viewer)


def accept(
    store: Store, viewer: Viewer, dispute_id: int, reason: str, verdict=None, verdict_kam=None, rules=None
):
    roles.require(viewer, "decide_disputes")
    return _call(decisions.accept, store, dispute_id, viewer=viewer, reason=reason, verdict=verdict,
                 verdict_kam=verdict_kam or None, rules=rules)  # fmt: skip


def reject(store: Store, viewer: Viewer, dispute_id: int, reason: str) -> None:
    roles.require(viewer, "decide_disputes")
    _call(decisions.reject, store, dispute_id, viewer=viewer, reason=reason)


def adjudicate(store: Store, viewer: Viewer, row: Row, verdict: str, reason: str, verdict_kam=None):
    """The director's direct adjudication of ``row``. Returns (adjudication id, warning key or None)."""
    roles.require(viewer, "adjudicate")
    return _call(decisions.adjudicate, store, row.kind, verdict=verdict, reason=reason,
                 verdict_kam=verdict_kam or None, viewer=viewer, **row.key)  # fmt: skip


def remove(store: Store, viewer: Viewer, adjudication_id: int, reason: str) -> None:
    """Remove a live adjudication with a reason (required on screen): its row takes the engine's verdict again."""
    roles.require(viewer, "adjudicate")
    if not text(reason).strip():
        raise decisions.DecisionError("decisions.missing", field="reason")
    _call(decisions.remove_adjudication, store, adjudication_id, viewer=viewer, reason=reason)
