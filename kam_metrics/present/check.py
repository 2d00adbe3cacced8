"""查重 (SPEC §10): is this phone free, yours since …, held by another KAM, or registered at the sales office on …

The answer comes from the stored data in Results (claims and their leads, the registry), through an index built
once per Results object, so a lookup is a dict access even at a million leads. A KAM is never told who the other
KAM is, a team lead only when it is one of their team's; the director always.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import unicodedata
import weakref

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.access.roles import KAM, Viewer, require
from kam_metrics.access.scope import allowed_kams, own_phones, phone_shown, scope
from kam_metrics.contract.text import MOBILE
from kam_metrics.engine.report import Results
from kam_metrics.engine.story import _key_of
from kam_metrics.i18n import t
from kam_metrics.present.format import day, mask_text, stamp
from kam_metrics.present.index import first_registration, positions

MASKED = re.compile(r"(1[3-9]\d)\*{4}(\d{4})")


@dataclasses.dataclass(frozen=True)
class Entry:
    """What the store knows of one phone: its claims (start key, lapse epoch second or None, kam, since,
    since date-only) in start order, and its first registration."""

    claims: tuple[tuple[int, int | None, str, object, bool], ...]
    registered_at: object | None


@dataclasses.dataclass(frozen=True)
class Index:
    """Columnar, so that building it at a million leads is a few sorts: the claims sorted by (phone as a
    number, start; the claiming lead's time is in its start key), the first registration of each registered phone sorted by phone, and the lead phones
    sorted by their masked form (``138****5678``) for a masked query. A lookup is a binary search."""

    phone: np.ndarray  # int64, sorted
    start_k: np.ndarray
    lapse: np.ndarray  # epoch seconds, NaN: never lapses
    kam: np.ndarray
    reg_phone: np.ndarray  # int64, sorted
    reg_at: np.ndarray
    mask_keys: np.ndarray  # _mask_key of each lead phone, sorted
    mask_phones: np.ndarray

    def entry(self, phone: str) -> Entry | None:
        """What the index holds of ``phone`` (None: nothing)."""
        number = int(phone)
        lo, hi = np.searchsorted(self.phone, number, "left"), np.searchsorted(self.phone, number, "right")
        r = np.searchsorted(self.reg_phone, number, "left")
        registered = self.reg_at[r] if r < len(self.reg_phone) and self.reg_phone[r] == number else None
        if lo == hi and registered is None:
            return None
        claims = tuple(
            (
                int(self.start_k[i]),
                None if np.isnan(self.lapse[i]) else int(self.lapse[i]),
                str(self.kam[i]),
                *since_of(self.start_k[i]),
            )
            for i in range(lo, hi)
        )
        return Entry(claims, None if registered is None else pd.Timestamp(registered))

    def masked(self, form: str) -> frozenset[str]:
        """The lead phones whose masked form is ``form`` (``138****5678``)."""
        key = int(form[:3]) * 10_000 + int(form[7:])
        lo = np.searchsorted(self.mask_keys, key, side="left")
        hi = np.searchsorted(self.mask_keys, key, side="right")
        return frozenset(f"{p:011d}" for p in self.mask_phones[lo:hi])


def _mask_key(phones: np.ndarray) -> np.ndarray:
    """An 11-digit phone's masked form as a number: its first 3 digits × 10⁴ + its last 4."""
    return phones // 10**8 * 10_000 + phones % 10_000


_indexes: dict[int, Index] = {}
_lock = threading.Lock()


def index(results: Results) -> Index:
    """phone → Entry for every phone with a claim or a registration; built once per Results object (kept while
    the object lives)."""
    key = id(results)
    with _lock:
        found = _indexes.get(key)
    if found is not None:
        return found
    built = _build(results)
    with _lock:
        if key not in _indexes:
            _indexes[key] = built
            weakref.finalize(results, _indexes.pop, key, None)
        return _indexes[key]


def _numbers(column) -> np.ndarray:
    """Stored phones (always 11-digit mainland mobiles, SPEC §2) as int64."""
    return pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False)


def since_of(start_k: int) -> tuple[pd.Timestamp, bool]:
    """The claiming lead's reported_at and date-only flag, from its order key (kam_metrics/sql/macros.sql: days
    since 1970 × 100000 + slot; a lead's slot is 0 when date-only, else its second of the day + 1)."""
    days, slot = divmod(int(start_k), 100_000)
    at = pd.Timestamp("1970-01-01") + pd.Timedelta(days=days, seconds=max(slot - 1, 0))
    return at, slot == 0


def _build(results: Results) -> Index:
    claims = results.claims
    number = _numbers(pa.array(claims["phone"], pa.string())) if len(claims) else np.array([], "int64")
    start_k = claims["start_k"].to_numpy(dtype="int64")
    order = np.lexsort((start_k, number))  # by phone, then start
    first = first_registration(results)  # shared with the pages' index: the first registration per phone
    if first.phone_shaped:
        reg_phone, reg_at, reg_order = first.numbers, first.at, slice(None)  # sorted by phone already
    else:
        regs = results.registrations.sort_values("registered_at", kind="stable").drop_duplicates("phone")
        reg_phone = _numbers(pa.array(regs["phone"], pa.string())) if len(regs) else np.array([], "int64")
        reg_at, reg_order = regs["registered_at"].to_numpy(), np.argsort(reg_phone, kind="stable")
    leads = results.leads["phone"]
    lead_phones = positions(results, "leads", "phone").numbers()  # the pages' index of lead rows per phone
    if lead_phones is None:
        lead_phones = (
            _numbers(pc.unique(pa.array(leads, pa.string()))) if len(leads) else np.array([], "int64")
        )
    forms = _mask_key(lead_phones)
    by_form = np.argsort(forms, kind="stable")
    return Index(
        phone=number[order],
        start_k=start_k[order],
        lapse=claims["lapse_ts"].to_numpy(dtype="float64", na_value=np.nan)[order],
        kam=claims["kam"].to_numpy(dtype=object)[order],
        reg_phone=reg_phone[reg_order],
        reg_at=reg_at[reg_order],
        mask_keys=forms[by_form],
        mask_phones=lead_phones[by_form],
    )


def normalise(query: str) -> str | None:
    """A typed phone as the ingest stores it (SPEC §2): NFKC, digits only (``13812345678.0`` as a number),
    ``0086``/``86`` before 11 digits dropped; None unless a mainland mobile."""
    text = unicodedata.normalize("NFKC", query or "").strip()
    text = re.sub(r"\.0+$", "", text)
    digits = re.sub(r"\D", "", text)
    if len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None


def holder(entry: Entry | None, as_of: dt.date | None) -> tuple[str, object, bool] | None:
    """(kam, since, since date-only) of the claim in force at the end of ``as_of`` (SPEC §3), or None."""
    if entry is None or not entry.claims:
        return None
    at = dt.datetime.combine(as_of, dt.time(23, 59, 59)) if as_of is not None else None
    held = None
    for start, lapse, kam, since, date_only in entry.claims:
        if at is None or (start <= _key_of(at) and (lapse is None or pd.Timestamp(at).timestamp() < lapse)):
            held = (kam, since, date_only)
    return held


@dataclasses.dataclass(frozen=True)
class CheckAnswer:
    """One phone's answer: ``status`` free / yours / held / registered, the phone as shown, the holder as the
    viewer may see it ("" for a KAM asking about another KAM's customer), and the sentence."""

    phone: str
    status: str
    kam: str
    since: str
    registered_on: str
    text: str


@dataclasses.dataclass(frozen=True)
class CheckView:
    """The 查重 answer: what was typed (masked), its kind (phone / masked / invalid / empty), the answers."""

    query_masked: str
    kind: str
    answers: list[CheckAnswer]
    message: str


def answer(results: Results, viewer: Viewer, phone: str, lang: str, own: frozenset[str]) -> CheckAnswer:
    """The answer for one normalised phone."""
    entry = index(results).entry(phone)
    held = holder(entry, results.as_of)
    registered = day(entry.registered_at) if entry is not None and entry.registered_at is not None else ""
    shown = phone_shown(viewer, phone, phone in own, download=False)
    if held is not None:
        kam, since, date_only = held
        since_text = stamp(since, date_only) if since is not None and since == since else ""
        names = allowed_kams(results, viewer)  # None: director, who sees every name
        if viewer.role == KAM and kam == viewer.kam:
            status, name, text = "yours", kam, t("scope.check.yours", lang, since=since_text)
        elif names is not None and kam not in names:
            # a KAM is never told who holds it; a team lead not about another team (SPEC §10 row 1)
            status, name, text, since_text = "held", "", t("scope.check.held_other", lang), ""
        else:
            status, name = ("held" if names is None else "yours"), kam
            text = t("scope.check.held", lang, kam=kam, since=since_text)
        if registered:
            text += " " + t("scope.check.also_registered", lang, date=registered)
        return CheckAnswer(shown, status, name, since_text, registered, text)
    if registered:
        return CheckAnswer(
            shown, "registered", "", "", registered, t("scope.check.registered", lang, date=registered)
        )
    return CheckAnswer(shown, "free", "", "", "", t("scope.check.free", lang))


def view(results: Results, viewer: Viewer, query: str, lang: str) -> CheckView:
    """查重 for ``query``: a phone (any way the ingest reads one) or a masked ``138****5678``, which is looked
    up among the viewer's own leads' phones only (a team lead's: the team's, a director's: all leads).
    Refused (roles.Refused) for a viewer without check_phone."""
    require(viewer, "check_phone")
    typed = unicodedata.normalize("NFKC", query or "").strip().replace(" ", "")
    if not typed:
        return CheckView("", "empty", [], t("scope.check.empty", lang))
    masked = MASKED.fullmatch(typed)
    scoped = scope(results, viewer)
    own = own_phones(scoped, viewer)
    if masked:
        candidates = index(results).masked(typed)
        if viewer.role == KAM:
            mine = sorted(candidates & own)
        elif viewer.sees_all:
            mine = sorted(candidates)
        else:
            mine = sorted(candidates & set(scoped.leads["phone"]))
        answers = [answer(results, viewer, p, lang, own) for p in mine]
        message = "" if answers else t("scope.check.no_own_match", lang, query=typed)
        return CheckView(typed, "masked", answers, message)
    phone = normalise(typed)
    if phone is None:
        return CheckView(mask_text(typed), "invalid", [], t("scope.check.invalid", lang))
    return CheckView(mask_text(typed), "phone", [answer(results, viewer, phone, lang, own)], "")
