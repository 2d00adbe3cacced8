"""The staging query's result computed with Arrow kernels for a sheet whose every cell is in its plain form (a
spreadsheet's own date cells, 11-digit phones, plain numbers): no DuckDB statement, same table, same problems.

``normalize.stage`` uses it when ``plain`` says every typed column qualifies and falls back to the SQL of
``normalize._stage_sql`` otherwise (any other form of a date, phone, number or integer). The plain forms are
chosen so that both paths give the same value: a strict timestamp the two parsers read alike, a phone that is
already a mobile, a number with at most 2 decimals and 16 integer digits (exact as decimal(18, 2)), an
integer of at most 9 digits.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.contract.sheets import DATETIME, INTEGER, NUMBER, PHONE, STATUS
from kam_metrics.contract.text import CANCELLED_WORDS, MOBILE_DIGITS

_PLAIN = {
    # A date cell with milliseconds reads as "…:45.057" (the query's general parser rounds to the second).
    DATETIME: r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,3})?$",
    PHONE: f"^{MOBILE_DIGITS}$",
    NUMBER: r"^-?[0-9]{1,16}(\.[0-9]{1,2})?$",
    INTEGER: r"^[0-9]{1,9}$",
}
_CANCELLED = pa.array([w.casefold() for w in CANCELLED_WORDS], pa.string())
_TS = pa.timestamp("us")


def _all_plain(array: pa.Array, pattern: str) -> bool:
    return bool(pc.all(pc.fill_null(pc.match_substring_regex(array, pattern), True), min_count=0).as_py())


def _timestamps(array: pa.Array) -> tuple[pa.Array, pa.Array] | None:
    """The parsed timestamps and their date-only flags, or None when a present value is not a strict, valid
    timestamp (the query decides then)."""
    if not _all_plain(array, _PLAIN[DATETIME]):
        return None
    whole = pc.utf8_slice_codeunits(array, 0, 19)
    ts = pc.strptime(whole, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    if ts.null_count != array.null_count:
        return None
    # Arrow rolls 2026-02-30 over into March where DuckDB reads no date: only a round trip is a valid date.
    back = pc.strftime(ts, format="%Y-%m-%d %H:%M:%S")
    if not pc.all(pc.fill_null(pc.equal(back, whole), True), min_count=0).as_py():
        return None
    ts = ts.cast(_TS)
    fraction = pc.greater(pc.utf8_length(array), 19)
    if not pc.any(fraction).as_py():
        return ts, pc.fill_null(pc.equal(ts, pc.floor_temporal(ts, unit="day")), False)
    # The query: round(seconds of the day + fraction) half away from zero, and a time, never date-only.
    millis = pc.cast(pc.utf8_rpad(pc.utf8_slice_codeunits(array, 20, 23), 3, "0"), pa.int32(), safe=False)
    up = pc.fill_null(pc.greater_equal(millis, 500), False)
    ts = pc.if_else(up, pc.add(ts, pa.scalar(1_000_000, pa.duration("us"))), ts)
    midnight = pc.equal(ts, pc.floor_temporal(ts, unit="day"))
    return ts, pc.fill_null(pc.and_(midnight, pc.invert(pc.fill_null(fraction, False))), False)


def plain_columns(kind, arrays: dict[str, pa.Array]) -> dict[str, pa.Array] | None:
    """The typed value of every typed field (timestamps, decimals, integers), or None when one is not plain."""
    typed: dict[str, pa.Array] = {}
    for f in kind.fields:
        a = arrays[f.name]
        if f.type == DATETIME:
            parsed = _timestamps(a)
            if parsed is None:
                return None
            typed[f.name], typed[f"{f.name}_date_only"] = parsed
        elif f.type in (PHONE, NUMBER, INTEGER):
            if not _all_plain(a, _PLAIN[f.type]):
                return None
            if f.type == NUMBER:
                typed[f.name] = a.cast(pa.decimal128(18, 2))
            elif f.type == INTEGER:
                typed[f.name] = a.cast(pa.int32())
    return typed


def _struct(code: str, label: str, value: pa.Array | None, n: int) -> pa.Array:
    return pa.StructArray.from_arrays(
        [
            pa.array([code] * n, pa.string()),
            pa.array([label] * n, pa.string()),
            pa.nulls(n, pa.string()) if value is None else value,
        ],
        names=["code", "column", "value"],
    )


def _lists(candidates: list[tuple[pa.Array, str, str, pa.Array | None]], n: int) -> pa.Array:
    """Per row, the list of the candidates (mask, code, label, value) that hold there, in candidate order."""
    empty = pa.ListArray.from_arrays(pa.array([0] * (n + 1), pa.int32()), _struct("", "", None, 0))
    masks = [(pc.fill_null(m, False), code, label, value) for m, code, label, value in candidates]
    masks = [c for c in masks if pc.any(c[0]).as_py()]
    if not masks:
        return empty
    rows, order, items = [], [], []
    for k, (mask, code, label, value) in enumerate(masks):
        index = pc.indices_nonzero(mask)
        rows.append(index)
        order.append(pa.array([k] * len(index), pa.int32()))
        items.append(_struct(code, label, None if value is None else pc.take(value, index), len(index)))
    rows_all = pa.concat_arrays(rows)
    long = pa.table({"r": rows_all, "k": pa.concat_arrays(order)})
    sort = pc.sort_indices(long, [("r", "ascending"), ("k", "ascending")])
    values = pc.take(pa.concat_arrays(items), sort)
    counts = masks[0][0].cast(pa.int32())
    for m, *_ in masks[1:]:
        counts = pc.add(counts, m.cast(pa.int32()))
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(counts).cast(pa.int32())])
    return pa.ListArray.from_arrays(offsets, values)


def stage_plain(kind, headers: dict[str, str], arrays: dict[str, pa.Array], typed, schema: pa.Schema):
    """The staged table of a sheet whose typed columns are all plain (``typed`` from plain_columns), in
    ``schema`` (the staging query's own result schema for the kind)."""
    n = len(arrays["row_no"])
    out: dict[str, pa.Array] = {"row_no": arrays["row_no"]}
    problems, warnings = [], []
    for f in kind.fields:
        c = arrays[f.name]
        label = headers.get(f.name, f.canonical)
        if f.name in kind.required:
            problems.append((pc.is_null(c), "missing", label, None))
        if f.type == DATETIME:
            ts = typed[f.name]
            out[f.name] = ts
            out[f"{f.name}_date_only"] = typed[f"{f.name}_date_only"]
        elif f.type in (NUMBER, INTEGER):
            out[f.name] = typed[f.name]
            if f.name == "salesperson_commission":
                problems.append((pc.less(typed[f.name], 0), "negative_commission", label, c))
        elif f.type == STATUS:
            cancelled = pc.is_in(pc.utf8_lower(c), value_set=_CANCELLED)
            out[f.name] = pc.if_else(pc.fill_null(cancelled, False), "cancelled", "signed")
        else:
            out[f.name] = c
    if kind.name == "units":
        out["unit_key"] = arrays["unit_key"]
    if kind.name == "deals":
        out["signed_date"] = typed["signed_at"].cast(pa.date32())
        label = headers.get("cancelled_at", kind.field("cancelled_at").canonical)
        cancelled = pc.is_in(pc.utf8_lower(arrays["status"]), value_set=_CANCELLED)
        no_date = pc.and_(cancelled, pc.is_null(typed["cancelled_at"]))
        warnings.append((no_date, "cancelled_without_date", label, arrays["cancelled_at"]))
    out["problems"] = _lists(problems, n)
    out["warnings"] = _lists(warnings, n)
    columns = []
    for field in schema:
        a = out[field.name]
        columns.append(a if a.type == field.type else _cast(a, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _cast(array: pa.Array, to: pa.DataType) -> pa.Array:
    """A list of structs into the query's list type (its item name, a null-typed value when it never holds one)."""
    if pa.types.is_list(to) and len(pc.list_flatten(array)) == 0:
        return pa.ListArray.from_arrays(array.offsets, pa.array([], to.value_type), type=to)
    if pa.types.is_list(to) and pa.types.is_struct(to.value_type):
        flat = array.values
        fields = [_cast_values(flat.field(i), t.type) for i, t in enumerate(to.value_type)]
        values = pa.StructArray.from_arrays(fields, fields=list(to.value_type))
        return pa.ListArray.from_arrays(array.offsets, values, type=to)
    return array.cast(to)


def _cast_values(array: pa.Array, to: pa.DataType) -> pa.Array:
    if array.type == to:
        return array
    if pa.types.is_null(to):  # the query's "value" of a kind whose only problem is "missing" (always null)
        return pa.nulls(len(array))
    return array.cast(to)
