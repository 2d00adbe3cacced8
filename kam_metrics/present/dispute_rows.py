"""The rows a viewer may dispute or adjudicate (SPEC §8, §10): what each kind of row may become, who sees which
row, and each row's status with 人工裁定 and the reason when an adjudication decides it."""

from __future__ import annotations

import dataclasses

import pandas as pd

from kam_metrics.access import roles
from kam_metrics.access.roles import Viewer
from kam_metrics.contract import codes
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.ingest import decisions
from kam_metrics.present.format import day, mask_phone, stamp, text, word
from kam_metrics.present.index import cached

KINDS = codes.ADJUDICATION_KINDS


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


def reasons_of(results: Results) -> dict[int, str]:
    return dict(zip(results.adjudications["id"].astype(int), results.adjudications["reason"], strict=True))


# -- who may see which row (SPEC §10) -----------------------------------------------------------------------------
def teams_of(results: Results) -> dict[str, str]:
    return dict(zip(results.kams["kam"], results.kams["team"], strict=True))


def may_see_kam(viewer: Viewer, kam: object, teams: dict[str, str]) -> bool:
    """A row's KAM is the viewer's own (kam), one of their team's (team lead), or anyone (director, finance)."""
    if viewer.sees_all:
        return True
    if viewer.role == roles.TEAM_LEAD:
        return bool(viewer.team) and teams.get(text(kam)) == viewer.team
    return bool(viewer.kam) and text(kam) == viewer.kam


def _seen(viewer: Viewer, kams: pd.Series, teams: dict[str, str]) -> pd.Series:
    """may_see_kam for a whole column at once (the same test: a missing KAM is "")."""
    if viewer.sees_all:
        return pd.Series(True, index=kams.index)
    if viewer.role == roles.TEAM_LEAD:
        names = {k for k, team in teams.items() if team == viewer.team} if viewer.team else set()
    else:
        names = {viewer.kam} if viewer.kam else set()
    if pd.api.types.is_string_dtype(kams) and kams.dtype != object:
        return kams.fillna("").isin(names)  # text() of a stored name: the name, "" when missing
    return kams.astype(object).where(kams.notna(), "").astype(str).isin(names)


def reported_phones(results: Results, viewer: Viewer, teams: dict[str, str]) -> frozenset[str]:
    """Phones with a lead of a KAM the viewer may see (a KAM may dispute a deal of a phone they reported);
    built once per (Results, viewer)."""

    def build() -> frozenset[str]:
        leads = results.leads
        return frozenset(leads.loc[_seen(viewer, leads["kam"], teams).to_numpy(), "phone"].astype(str))

    return cached(results, ("disputes.reported_phones", viewer), build)


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
    leads, visits and units that are not valid and deals nobody holds or another KAM holds. Built once per
    (Results, viewer, kind, lang, kam, refused_only); the list handed out is a copy."""
    key = ("disputes.rows", viewer, kind, lang, kam, bool(refused_only))
    return list(cached(results, key, lambda: _rows(results, viewer, kind, lang, kam, refused_only)))


def _picked(frame: pd.DataFrame, viewer: Viewer, teams: dict[str, str], kam: str | None, refused_only) -> pd.DataFrame:  # fmt: skip
    """The rows of ``frame`` rows() keeps before it looks at each one: the KAM's, visible, refused if asked."""
    keep = _seen(viewer, frame["kam"], teams)
    if kam:
        keep &= frame["kam"] == kam
    if refused_only:
        keep &= frame["status"] != codes.VALID
    return frame[keep.fillna(False).to_numpy(dtype=bool)]


def _rows(results: Results, viewer: Viewer, kind: str, lang: str, kam: str | None, refused_only) -> list[Row]:
    teams, reasons = teams_of(results), reasons_of(results)
    out: list[Row] = []
    if kind in ("lead", "visit"):
        frame, at = (results.leads, "reported_at") if kind == "lead" else (results.visits, "visited_at")
        for r in _picked(frame, viewer, teams, kam, refused_only).itertuples(index=False):
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
        for r in _picked(results.units, viewer, teams, kam, refused_only).itertuples(index=False):
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
    reported = reported_phones(results, viewer, teams)
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
    teams = teams_of(results)
    return [str(k) for k in results.kams["kam"] if may_see_kam(viewer, k, teams)]
