"""The customer page's view (客户归属): find a customer, tell their story in time order with the claim holder,
and count each KAM's refused leads and visits. The story and the claim come from kam_metrics.engine.story."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re

import pandas as pd

from kam_metrics.access.roles import Viewer, require_page
from kam_metrics.access.scope import allowed_kams, kam_shown, own_phones, phone_shown, scope
from kam_metrics.engine import story
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.common import kam_names
from kam_metrics.present.dispute_rows import reasons_of, status_with_mark
from kam_metrics.present.format import day, mask_phone, mask_text, money, shown, stamp, text, word
from kam_metrics.present.index import cached, for_phone, fresh
from kam_metrics.present.why import first_registrations, lead_why, visit_why

STORY = ["time", "event", "kam", "status", "detail"]


def _sources(results: Results) -> tuple[pd.DataFrame, ...]:
    return (results.registrations, results.leads, results.visits, results.commissions)


def customer_ref(phone: str, key: bytes) -> str:
    """An opaque reference to a customer for URLs (``?c=…``): 12 hex digits of an HMAC of the number under
    the installation's ``key``. Without the key it cannot be turned back into the number (a plain hash of an
    11-digit number could be, by trying them all)."""
    return hmac.new(key, str(phone).encode(), hashlib.sha256).hexdigest()[:12]


def resolve_ref(results: Results, ref: str, key: bytes) -> str | None:
    """The stored phone number whose customer_ref is ``ref``, or None (only numbers in the data resolve)."""
    if not ref:
        return None
    for frame in _sources(results):
        for phone in frame["phone"].dropna().astype(str).unique():
            if customer_ref(phone, key) == ref:
                return phone
    return None


def find_customers(results: Results, query: str) -> list[str]:
    """Phone numbers whose digits contain ``query``'s digits (3 or more), or whose customer name contains
    ``query``; searched over registrations, leads, visits and deals. Full numbers, sorted."""
    typed = (query or "").strip()
    if not typed:
        return []
    digits = re.sub(r"\D", "", typed)
    by_digits = len(digits) >= 3 and len(digits) * 2 >= len(typed.replace(" ", "").replace("-", ""))
    found: set[str] = set()
    for frame in _sources(results):
        if by_digits:
            hit = frame["phone"].astype(str).str.contains(digits, regex=False)
        else:
            hit = frame["customer_name"].fillna("").astype(str).str.contains(typed, regex=False)
        found.update(str(p) for p in frame.loc[hit, "phone"])
    return sorted(found)


def customer_label(results: Results, phone: str, shown_phone: str | None = None) -> str:
    """``138****5678 · 王建国 / 王先生`` (``shown_phone``, default the masked number, and every name seen for it)."""
    names: list[str] = []
    for frame in _sources(for_phone(results, phone)):
        for name in frame.loc[frame["phone"] == phone, "customer_name"]:
            if isinstance(name, str) and name and name not in names:
                names.append(name)
    shown_phone = mask_phone(phone) if shown_phone is None else shown_phone
    return shown_phone + (" · " + " / ".join(names[:4]) if names else "")


def _row_facts(results: Results, phone: str) -> tuple[dict, dict]:
    """Keyed by (event, upload_id, row_no) of ``phone``'s rows: the claim holder a lead lost to or a visit met
    (Results' claim_kam), and the adjudication deciding a lead, visit or deal line (SPEC §8)."""
    claim_kams, adjudicated = {}, {}
    for event, frame in (("lead", results.leads), ("visit", results.visits), ("deal", results.commissions)):
        rows = frame[frame["phone"] == phone]
        claims = rows["claim_kam"] if "claim_kam" in rows else [None] * len(rows)
        for upload_id, row_no, kam, adj in zip(
            rows["upload_id"], rows["row_no"], claims, rows["adjudication"], strict=True
        ):
            key = (event, int(upload_id), int(row_no))
            if event != "deal":
                claim_kams[key] = kam
            if not pd.isna(adj):
                adjudicated[key] = adj
    return claim_kams, adjudicated


def _detail(e, claim_kam: object, registered_at: object, lang: str) -> tuple[str, str]:
    """(status word, detail) of one story event."""
    if e.event == "registration":
        detail = t("ui.story.registration", lang, name=text(e.customer_name), salesperson=text(e.salesperson))
        return "", detail + (f" · {e.source}" if text(e.source) else "")
    if e.event == "lead":
        return word("status", e.code, lang), lead_why(e.code, claim_kam, registered_at, lang)
    if e.event == "visit":
        return word("status", e.code, lang), visit_why(e.code, claim_kam, e.salesperson, lang)
    if e.event == "deal":
        if e.code == "unattributed":
            return word("type", e.code, lang), f"{e.property} · {word('reason', e.reason, lang)}"
        amount = money(e.amount)
        return word("type", e.code, lang), t(
            "ui.story.deal", lang, property=e.property, salesperson=e.salesperson, amount=amount
        )
    return word("line", "clawback", lang), t(
        "ui.story.clawback", lang, property=e.property, amount=money(e.amount)
    )


def customer_story(results: Results, viewer: Viewer, phone: str, lang: str) -> pd.DataFrame:
    """Everything that happened to one phone number, in the engine's order (engine.story.customer_events):
    registrations, leads (who, status, why), visits, deals and clawbacks. Columns: time, event, kam, status,
    detail (headers in ``lang``). Of what ``viewer`` may see: another KAM's (another team's) events are left
    out, and a claim they hold is named 另一位大客户经理."""
    results = scope(results, viewer)
    registered_at = first_registrations(results).get(phone)
    one = for_phone(results, phone)  # the phone's rows only, through the per-Results index
    (claim_kams, adjudicated), reasons = _row_facts(one, phone), reasons_of(results)
    rows = []
    for e in story.customer_events(one, phone).itertuples(index=False):
        claim_kam = claim_kams.get((e.event, e.upload_id, e.row_no))
        status, detail = _detail(e, claim_kam, registered_at, lang)
        status = status_with_mark(status, adjudicated.get((e.event, e.upload_id, e.row_no)), reasons, lang)
        rows.append(
            {
                "time": stamp(e.at, e.date_only),
                "event": t(f"ui.event.{e.event}", lang),
                "kam": e.kam,
                "status": status,
                "detail": detail,
            }
        )
    return shown(rows, STORY, lang)


def visible_phones(results: Results, viewer: Viewer) -> frozenset[str] | None:
    """The phones on rows ``viewer`` sees (their leads, visits, deal lines); None: every phone. Built once per
    scoped Results (that is, per viewer)."""
    if viewer.sees_all:
        return None
    scoped = scope(results, viewer)

    def build() -> frozenset[str]:
        return frozenset(
            str(p) for f in (scoped.leads, scoped.visits, scoped.commissions) for p in f["phone"]
        )

    return cached(scoped, "customer.visible_phones", build)


def claim_text(results: Results, viewer: Viewer, phone: str, lang: str) -> str:
    """One sentence: who holds the claim on ``phone`` at the end of as_of and since when, or that nobody does.

    ``results`` unscoped (the holder may be anyone); a holder ``viewer`` may not see is 另一位大客户经理, and a
    phone on none of the viewer's rows gets no answer here (the 查重 page answers that)."""
    visible = visible_phones(results, viewer)
    if visible is not None and phone not in visible:
        return ""
    claim = story.claim_holder(for_phone(results, phone), phone)
    if claim is None:
        return t("ui.claim.none", lang)
    holder = kam_shown(viewer, claim.kam, allowed_kams(results, viewer), t("scope.other_kam", lang))
    if holder != claim.kam:  # the other KAM's lead time would tell who it is as much as a name
        return t("scope.claim.other", lang)
    held = t("ui.claim.held", lang, kam=holder, at=stamp(claim.since, claim.since_date_only))
    if claim.lapses is None:
        return held + t("ui.claim.forever", lang)
    return held + t("ui.claim.until", lang, date=day(claim.lapses))


def refusals(results: Results, viewer: Viewer, lang: str) -> pd.DataFrame:
    """Per KAM ``viewer`` may see, how many leads and visits were refused for each reason (status word).

    Columns: kam, what (leads / visits as words), reason, count. Valid rows are left out.
    """
    results = scope(results, viewer)
    rows = []
    for what, frame in (("leads", results.leads), ("visits", results.visits)):
        refused = frame[frame["status"] != "valid"]
        if refused.empty:
            continue
        counts = refused.groupby(["kam", "status"], sort=True).size()
        for (kam, status), n in counts.items():
            rows.append(
                {
                    "kam": kam,
                    "what": t(f"kind.{what}", lang),
                    "reason": t(f"status.{status}", lang),
                    "count": int(n),
                }
            )
    return pd.DataFrame(rows, columns=["kam", "what", "reason", "count"])


@dataclasses.dataclass(frozen=True)
class CustomerShown:
    """One customer: the label (masked number and names), the claim sentence and the story (empty: unknown)."""

    phone_masked: str
    label: str
    claim: str
    story: pd.DataFrame


@dataclasses.dataclass(frozen=True)
class CustomerView:
    """The customer page: the search's matches with their labels, the chosen customer, the refusals chart's data."""

    query_masked: str  # what was typed, with any mobile number in it masked
    matches: list[str]
    match_labels: dict[str, str]
    phone: str | None  # the customer shown: the one match of the query, else the ``phone`` asked for
    ref: str | None  # that customer's opaque reference for the URL (customer_ref), None without a customer
    customer: CustomerShown | None
    refusals: pd.DataFrame
    kams: list[str]  # the refusals chart's order (the roster's)


def view(
    results: Results,
    viewer: Viewer,
    lang: str,
    query: str = "",
    phone: str | None = None,
    team_results: Results | None = None,
    ref: str | None = None,
    key: bytes = b"",
) -> CustomerView:
    """The customer page: ``query`` searched over every team in ``results``, the story of ``phone`` (or of
    the customer ``ref`` points to under ``key``), and the refusals of ``team_results`` (the sidebar's team;
    default ``results``); all of it only as far as ``viewer`` may see (a KAM finds only phones on their own
    rows, a team lead those on their team's)."""
    require_page(viewer, "attribution")
    full = results
    results = scope(results, viewer)
    team_results = scope(team_results if team_results is not None else results, viewer)
    own = own_phones(results, viewer)
    matches = find_customers(results, query)
    if len(matches) == 1:
        phone = matches[0]
    elif not phone and ref:
        phone = resolve_ref(results, ref, key)
    visible = visible_phones(full, viewer)
    if phone and visible is not None and phone not in visible:
        phone = None  # asked for by number or link: not a customer of this viewer's rows
    customer = None
    if phone:
        customer = CustomerShown(
            phone_masked=mask_phone(phone),
            label=customer_label(results, phone, phone_shown(viewer, phone, phone in own, download=False)),
            claim=claim_text(full, viewer, phone, lang),
            story=customer_story(results, viewer, phone, lang),
        )
    return CustomerView(
        query_masked=mask_text(query),
        matches=matches,
        match_labels={
            p: customer_label(results, p, phone_shown(viewer, p, p in own, download=False)) for p in matches
        },
        phone=phone or None,
        ref=customer_ref(phone, key) if phone else None,
        customer=customer,
        # the same on every call of a (scoped) Results: counted once
        refusals=fresh(
            cached(team_results, ("customer.refusals", lang), lambda: refusals(team_results, viewer, lang))
        ),
        kams=kam_names(team_results),
    )
