"""Per-Results lookups for the pages: built once per Results object and kept on it, so a page call is a lookup.

The dashboard keeps one Results per (store version, rules, as_of) (dashboard/state.py) and access.scope one
scoped Results per (Results, viewer), so what is cached on a Results object lives exactly as long as that
state, and a viewer's scoped Results carries its own cache: a scoped view is never served to another viewer
(each key that depends on the viewer also names the viewer). Results is a frozen dataclass; the cache is an
attribute outside its fields (like scope's ``_scoped_for``), so it is not compared, and dataclasses.replace
(scope, for_team, a phone's rows) starts a fresh one.

What is handed out is shared: frames are returned as shallow copies (pandas copy-on-write: changing one never
changes the cached frame), lists, dicts and sets as copies (see ``fresh``).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.engine.report import Results

_ATTR = "_page_index"
_lock = threading.Lock()
T = TypeVar("T")


def cached(results: Results, key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` once per ``results`` object and ``key``; later calls return the same value (not a copy)."""
    cache = results.__dict__.get(_ATTR)
    if cache is None:
        with _lock:
            cache = results.__dict__.setdefault(_ATTR, {})
    try:
        return cache[key]
    except KeyError:
        pass
    value = build()
    with _lock:
        return cache.setdefault(key, value)


def fresh(value: T) -> T:
    """A copy of a cached view value a caller may change freely: frames shallow (copy-on-write), dataclasses,
    dicts, lists, sets and tuples one level at a time; frozen leaf objects (strings, numbers, Row) as they are."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: fresh(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, dict):
        return {k: fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        # a long list holds rows (frozen Row, strings): copy the list, not each row
        return list(value) if len(value) > 64 else [fresh(v) for v in value]
    if isinstance(value, set):
        return set(value)
    return value


def memo_view(results: Results, key: Hashable, build: Callable[[], T]) -> T:
    """A whole view model, built once per (``results``, ``key``) and handed out as a fresh copy; ``key`` names
    the page, the viewer, the language and every argument the view depends on."""
    return fresh(cached(results, key, build))


# -- row positions --------------------------------------------------------------------------------------------
class Positions:
    """Where each value of one column sits: the rows sorted by value (stably, so each value's positions are
    ascending) and each value's run in that order; a lookup is a binary search and a slice. A column of
    11-digit numbers (the stored phones, SPEC §2) is sorted as int64 (a cast and a sort: fast at a million
    rows); any other column through pandas' factorize (a groupby's ``indices`` would make one array per value:
    seconds at 500k phones)."""

    def __init__(self, column: pd.Series) -> None:
        numbers = _as_numbers(column)
        if numbers is None:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)  # missing: code -1, in no run
            self._values: pd.Index | None = pd.Index(uniques)
            # few distinct values (KAMs): small integers sort by radix, several times faster than int64
            keys = codes.astype("int16" if len(uniques) < 2**15 else "int64")
        else:
            self._values, keys = None, numbers  # missing: -1, never looked up
        if numbers is None:
            self._order = np.argsort(keys, kind="stable")
            self._sorted = keys[self._order]
        else:
            # phone × n + position is unique and keeps positions ascending within a phone, so a plain sort
            # of int64 (much faster than a stable argsort) gives both the order and the sorted phones
            n = len(keys)
            combined = np.sort(keys * n + np.arange(n, dtype="int64"))
            self._order, self._sorted = combined % n, combined // n

    def numbers(self) -> np.ndarray | None:
        """The distinct 11-digit values as int64, sorted (None: not a phone column)."""
        if self._values is not None:
            return None
        keep = np.ones(len(self._sorted), dtype=bool)
        keep[1:] = self._sorted[1:] != self._sorted[:-1]
        return self._sorted[keep & (self._sorted >= 0)]

    def get(self, value: object) -> np.ndarray | None:
        """The positions holding ``value`` (ascending), None when no row holds it."""
        key = self._key(value)
        if key is None:
            return None
        lo, hi = np.searchsorted(self._sorted, key, "left"), np.searchsorted(self._sorted, key, "right")
        return self._order[lo:hi] if hi > lo else None

    def _key(self, value: object) -> int | None:
        if self._values is None:
            return (
                int(value)
                if isinstance(value, str) and len(value) == 11 and value.isascii() and value.isdigit()
                else None
            )
        try:
            code = self._values.get_loc(value)
        except (KeyError, TypeError):
            return None
        return int(code) if isinstance(code, int | np.integer) else None


def _as_numbers(column: pd.Series) -> np.ndarray | None:
    """``column`` as int64 when every present value is an 11-digit string of ASCII digits (-1 where missing);
    None otherwise (then the column is not a phone column and is factorized instead)."""
    if len(column) == 0:
        return None
    try:
        strings = pa.array(column, pa.string()) if column.dtype == object else pa.array(column)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not pa.types.is_string(strings.type) and not pa.types.is_large_string(strings.type):
        return None
    present = strings.drop_null()
    if len(present) == 0:
        return None
    lengths = pc.min_max(pc.utf8_length(present))
    if lengths["min"].as_py() != 11 or lengths["max"].as_py() != 11:
        return None
    if not pc.all(pc.ascii_is_decimal(present)).as_py():
        return None
    return pc.fill_null(pc.cast(strings, pa.int64()), -1).to_numpy(zero_copy_only=False)


def positions(results: Results, frame: str, column: str) -> Positions:
    """The Positions of ``results.<frame>[column]``, built once per Results."""
    return cached(results, ("positions", frame, column), lambda: Positions(getattr(results, frame)[column]))


def rows_of(results: Results, frame: str, column: str, value: object) -> pd.DataFrame:
    """``results.<frame>[results.<frame>[column] == value]``, the same rows in the same order with the same
    index, found through ``positions``."""
    table = getattr(results, frame)
    found = positions(results, frame, column).get(value)
    if found is None:
        return table.iloc[0:0]
    return table.iloc[found]


_PHONE_FRAMES = ("registrations", "leads", "visits", "commissions", "claims")


def for_phone(results: Results, phone: str) -> Results:
    """``results`` cut to ``phone``'s registrations, leads, visits, deal lines and claims (every other frame
    whole): what a customer's story, label and claim read, without filtering a million rows each time. A
    scoped Results stays marked as scoped for the same viewer."""
    cut = dataclasses.replace(
        results, **{name: rows_of(results, name, "phone", phone) for name in _PHONE_FRAMES}
    )
    marker = results.__dict__.get("_scoped_for")
    if marker is not None:
        object.__setattr__(cut, "_scoped_for", marker)
    return cut


class FirstRegistrations:
    """Phone → the time of its first registration in the registry (why.first_registrations as a lookup).

    Stored phones are 11-digit numbers: sorted as int64 by (phone, time), the first row of each phone is its
    first registration (a missing time sorts last, as sort_values puts it). ``numbers`` (sorted) and ``at``
    are also what 查重's index reads."""

    def __init__(self, results: Results) -> None:
        regs = results.registrations
        self._times = regs["registered_at"]
        numbers = _as_numbers(regs["phone"])
        self._by_phone: pd.Series | None = None
        if numbers is None or not pd.api.types.is_datetime64_dtype(self._times):  # not phone-shaped: pandas
            first = regs.sort_values("registered_at").drop_duplicates("phone")
            self._by_phone = first["registered_at"].set_axis(pd.Index(first["phone"]))
            self.numbers, self._rows = np.array([], "int64"), np.array([], "int64")
            return
        times = self._times.to_numpy().view("int64").copy()
        times[pd.isna(self._times).to_numpy()] = np.iinfo("int64").max
        order = np.lexsort((times, numbers))
        ordered = numbers[order]
        first = np.ones(len(ordered), dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        first &= ordered >= 0  # a missing phone is no phone's registration
        self.numbers, self._rows = ordered[first], order[first]

    @property
    def phone_shaped(self) -> bool:
        """Whether the lookup is by number (``numbers`` and ``at`` hold every registered phone)."""
        return self._by_phone is None

    @property
    def at(self) -> np.ndarray:
        """The first registration's time of each of ``numbers``."""
        return self._times.to_numpy()[self._rows]

    def get(self, phone: object, default: object = None) -> object:
        if not isinstance(phone, str):
            return default
        if self._by_phone is not None:
            return self._by_phone.loc[phone] if phone in self._by_phone.index else default
        if not (len(phone) == 11 and phone.isascii() and phone.isdigit()):
            return default
        i = np.searchsorted(self.numbers, int(phone))
        if i == len(self.numbers) or self.numbers[i] != int(phone):
            return default
        return self._times.iloc[self._rows[i]]


def first_registration(results: Results) -> FirstRegistrations:
    """The phone → first registration lookup of ``results``, built once."""
    return cached(results, "first_registrations", lambda: FirstRegistrations(results))
