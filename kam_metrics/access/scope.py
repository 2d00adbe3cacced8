"""What one viewer may see of the results (SPEC §10): scope() cuts Results to a role's rows, phone_shown() its phones.

Director and finance see everything. A team lead sees the rows of their team's KAMs (the roster's team), a KAM
only their own rows (a deal line by its kam). Anything that names a KAM outside the viewer's set is either cut
(rows, claims, adjudications, adjustments) or anonymised (a lead's or visit's ``claim_kam`` becomes OTHER_KAM),
so a view model built from a scoped Results cannot name another team's or another KAM's person. Rejected rows
and warnings are the office's raw upload rows (any KAM's names and phones in them, not attributable to one
KAM): only director and finance get them.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import threading
import weakref

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.access.roles import KAM, TEAM_LEAD, Viewer
from kam_metrics.contract.text import OTHER_KAM_MARK
from kam_metrics.engine.report import Results

# What a scoped claim_kam says instead of a name outside the viewer's set; present/ shows it as the word
# scope.other_kam (另一位大客户经理); printable, so if it ever reached a cell it would say what it is.
OTHER_KAM = OTHER_KAM_MARK

_BY_KAM = ("summary", "weekly", "statement", "commissions", "leads", "visits", "units", "adjustments")
_CACHE_SIZE = 32
_cache: collections.OrderedDict[tuple[int, Viewer], Results] = collections.OrderedDict()
_lock = threading.Lock()


def allowed_kams(results: Results, viewer: Viewer) -> set[str] | None:
    """The KAM names whose rows ``viewer`` sees; None: every KAM (director, finance)."""
    if viewer.sees_all:
        return None
    if viewer.role == TEAM_LEAD:
        if viewer.team is None:
            return set()
        kams = results.kams
        return {str(k) for k in kams.loc[kams["team"] == viewer.team, "kam"]}
    if viewer.role == KAM:
        return {viewer.kam} if viewer.kam else set()
    return set()


def scope(results: Results, viewer: Viewer) -> Results:
    """``results`` as ``viewer`` may see them: unchanged for director and finance; for a team lead their team's
    KAMs; for a KAM their own rows. Cached per (results object, viewer) while the results live; scoping a scoped
    Results for the same viewer returns it as it is."""
    names = allowed_kams(results, viewer)
    if names is None or getattr(results, "_scoped_for", None) == viewer:
        return results
    key = (id(results), viewer)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    scoped = _cut(results, names)
    object.__setattr__(scoped, "_scoped_for", viewer)  # frozen dataclass: a marker, not a field
    with _lock:
        if key not in _cache:
            _cache[key] = scoped
            weakref.finalize(results, _forget, key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return scoped


def _forget(key: tuple[int, Viewer]) -> None:
    with _lock:
        _cache.pop(key, None)


def _cut(results: Results, names: set[str]) -> Results:
    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["kam"].isin(names)].reset_index(drop=True)

    frames = {name: keep(getattr(results, name)) for name in _BY_KAM}
    for name in ("leads", "visits"):
        frame = frames[name]
        claim = frame["claim_kam"]
        other = claim.notna() & (claim != "") & ~claim.isin(names)
        if other.any():
            frame = frame.copy()
            frame["claim_kam"] = claim.where(~other, OTHER_KAM)
            frames[name] = frame
    adjustments = frames["adjustments"]
    if len(adjustments):  # an adjustment's reason may name the KAM a deal moved to (close.why.credit_moved)
        adjustments = adjustments.copy()
        adjustments["reason"] = [_reason_within(r, names) for r in adjustments["reason"]]
        frames["adjustments"] = adjustments
    # the phones on the viewer's rows, as one array (isin hashes it; no Python set of a team's phones)
    phones = pd.concat([frames[f]["phone"] for f in ("leads", "visits", "commissions")], ignore_index=True)
    phones = phones.unique()
    regs = results.registrations
    return dataclasses.replace(
        results,
        kams=keep(results.kams),
        claims=keep(results.claims),
        registrations=regs[_isin(regs["phone"], phones)].reset_index(drop=True),
        rejected=results.rejected.iloc[0:0],
        warnings=results.warnings.iloc[0:0],
        adjudications=keep(results.adjudications),
        **frames,
    )


def _isin(column: pd.Series, values) -> np.ndarray:
    """``column.isin(values)`` as a bool array; through Arrow for text (pandas' isin on Arrow-backed strings
    walks the values in Python)."""
    try:
        found = pc.is_in(pa.array(column), value_set=pa.array(values, pa.large_string()))
        return found.fill_null(False).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return column.isin(values).to_numpy(dtype=bool)


def _reason_within(reason: object, names: set[str]) -> object:
    """A stored adjustment reason (JSON) with a KAM named outside ``names`` replaced by OTHER_KAM."""
    if not isinstance(reason, str) or not reason.startswith("{"):
        return reason
    parsed = json.loads(reason)
    values = parsed.get("values") or {}
    if values.get("other") not in (None, "", OTHER_KAM) and values["other"] not in names:
        values["other"] = OTHER_KAM
        return json.dumps(parsed, ensure_ascii=False)
    return reason


def own_phones(results: Results, viewer: Viewer) -> frozenset[str]:
    """The phones on the viewer's own lead rows (a KAM's leads; nobody else reports leads)."""
    if viewer.role != KAM or not viewer.kam:
        return frozenset()
    # asked by every page call of the KAM: counted once per Results object (a frozen dataclass: an attribute
    # outside its fields, gone with the object)
    known = results.__dict__.get("_own_phones")
    if known is None:
        known = results.__dict__.setdefault("_own_phones", {})
    found = known.get(viewer.kam)
    if found is None:
        leads = results.leads
        found = known.setdefault(
            viewer.kam, frozenset(str(p) for p in leads.loc[leads["kam"] == viewer.kam, "phone"])
        )
    return found


def phone_shown(viewer: Viewer, phone: object, own: bool, download: bool) -> str:
    """A phone as SPEC §10 lets ``viewer`` see it: director and finance in full in downloads, masked on screen;
    a team lead never in full; a KAM in full on their own leads (``own``), masked otherwise."""
    full = viewer.sees_all and download or viewer.role == KAM and own
    if full:
        return "" if phone is None or (not isinstance(phone, str) and pd.isna(phone)) else str(phone)
    from kam_metrics.present.format import mask_phone  # late: present/ imports this module

    return mask_phone(phone)


def kam_shown(viewer: Viewer, kam: object, names: set[str] | None, other_word: str) -> str:
    """A KAM's name as ``viewer`` may see it: the name within ``names`` (None: all), else ``other_word``."""
    if kam is None or kam == "" or (not isinstance(kam, str) and pd.isna(kam)):
        return ""
    if kam == OTHER_KAM or (names is not None and kam not in names):
        return other_word
    return str(kam)
