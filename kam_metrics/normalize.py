"""Normalise raw sheet cells (SPEC §2): text in Python over distinct values, typed parsing vectorised in DuckDB SQL."""

from __future__ import annotations

import re
import unicodedata

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.reader import RawSheet
from kam_metrics.schema import (
    CANCELLED_WORDS,
    DATETIME,
    INTEGER,
    KINDS,
    NAME,
    NUMBER,
    PHONE,
    STATUS,
)

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_GAP = re.compile(f"([{_HAN}])\\s+(?=[{_HAN}])")
_WS = re.compile(r"\s+")


def clean_text(value: str | None) -> str | None:
    """NFKC, zero-width characters removed, trimmed; empty → None."""
    if value is None:
        return None
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", value)).strip()
    return text or None


def clean_name(value: str | None) -> str | None:
    """A person name: white space between two Han characters removed, other runs of white space → one space."""
    text = clean_text(value)
    if text is None:
        return None
    return _WS.sub(" ", _HAN_GAP.sub(r"\1", text))


def unit_key(value: str | None) -> str | None:
    """The unit_name key: NFKC, all white space removed, case-folded."""
    text = clean_text(value)
    return None if text is None else _WS.sub("", text).casefold()


def map_distinct(array: pa.Array, fn) -> pa.Array:
    """Apply a Python function to each distinct value only (names and phones repeat a lot)."""
    if len(array) == 0:
        return pa.array([], pa.string())
    encoded = (
        pc.dictionary_encode(array).combine_chunks()
        if isinstance(array, pa.ChunkedArray)
        else pc.dictionary_encode(array)
    )
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(mapped, encoded.indices)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Parsing macros used by the staging query (idempotent)."""
    con.execute(
        r"""
        create or replace temp macro kam_serial_ts(v) as (
          case when v >= 61 and v < 2958466 then timestamp '1899-12-30' + to_seconds(round(v * 86400)::bigint)
               when v >= 1 and v < 60 then timestamp '1899-12-31' + to_seconds(round(v * 86400)::bigint)
          end);
        """
    )
    con.execute(
        r"""
        create or replace temp macro kam_parts_ts(r) as (
          case when r.y = '' then null else
            try_cast(r.y || '-' || lpad(coalesce(nullif(r.m1, ''), r.m2), 2, '0') || '-'
                     || lpad(coalesce(nullif(r.d1, ''), r.d2), 2, '0') as date)::timestamp
            + case when coalesce(nullif(r.h1, ''), nullif(r.h2, '')) is null then interval 0 second
                   when coalesce(nullif(r.h1, ''), r.h2)::int > 23
                        or coalesce(nullif(r.mi1, ''), r.mi2)::int > 59
                        or coalesce(nullif(coalesce(nullif(r.s1, ''), r.s2), ''), '0')::int > 59 then null
                   else to_seconds(round(
                          coalesce(nullif(r.h1, ''), r.h2)::int * 3600
                        + coalesce(nullif(r.mi1, ''), r.mi2)::int * 60
                        + ('0' || coalesce(nullif(coalesce(nullif(r.s1, ''), r.s2), ''), '0') || '.'
                           || coalesce(nullif(coalesce(nullif(r.f1, ''), r.f2), ''), '0'))::double)::bigint)
              end
          end);
        """
    )
    con.execute(
        r"""
        create or replace temp macro kam_ts(s) as (
          case
            when s is null then null
            when regexp_full_match(s, '\d+(\.\d+)?') then kam_serial_ts(try_cast(s as double))
            else kam_parts_ts(regexp_extract(s,
              '^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?|年(\d{1,2})月(\d{1,2})日(?:\s*T?\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)$',
              ['y','m1','d1','h1','mi1','s1','f1','m2','d2','h2','mi2','s2','f2']))
          end);
        """
    )
    con.execute(
        r"""
        create or replace temp macro kam_phone_digits(d) as (
          case when length(d) = 15 and starts_with(d, '0086') then d[5:]
               when length(d) = 13 and starts_with(d, '86') then d[3:]
               else d end);
        """
    )
    con.execute(
        r"""
        create or replace temp macro kam_phone(s) as (
          kam_phone_digits(regexp_replace(
            case when regexp_full_match(s, '\d(\.\d+)?[eE]\+?\d+')
                   then format('{:d}', try_cast(try_cast(s as double) as hugeint))
                 when regexp_full_match(s, '\d+\.0+') then regexp_replace(s, '\.0+$', '')
                 else s end, '\D', '', 'g')));
        """
    )
    con.execute(
        r"""
        create or replace temp macro kam_money(s) as (
          try_cast(regexp_replace(regexp_replace(regexp_replace(s, '^[¥￥]\s*', ''), '\s*元$', ''), '[,\s]', '', 'g')
                   as decimal(18, 2)));
        """
    )
    con.execute(
        r"""
        create or replace temp macro kam_int(s) as (
          case when try_cast(s as double) >= 0 and try_cast(s as double) = floor(try_cast(s as double))
                    and try_cast(s as double) < 1e9
               then try_cast(s as double)::integer end);
        """
    )


def _problem(code: str, label: str, value_sql: str, condition: str) -> str:
    """A SQL struct {code, column, value} when ``condition`` holds, else NULL."""
    return f"case when {condition} then {{'code': '{code}', 'column': {label}, 'value': {value_sql}}} end"


def stage(con: duckdb.DuckDBPyConnection, sheet: RawSheet) -> pa.Table:
    """Normalise one raw sheet; returns a table of typed fields plus `problems` (rejections) and `warnings`.

    Columns: row_no, every field of the kind (typed), date-only flags (`<field>_date_only`), derived keys
    (unit_key, signed_date), `problems` (list of {code, column, value}; non-empty = rejected) and `warnings`.
    """
    kind = KINDS[sheet.kind]
    n = len(sheet.row_numbers)
    arrays: dict[str, pa.Array] = {"row_no": sheet.row_numbers}
    for f in kind.fields:
        raw = sheet.columns.get(f.name)
        if raw is None:
            arrays[f.name] = pa.nulls(n, pa.string())
            continue
        arrays[f.name] = map_distinct(raw, clean_name if f.type == NAME else clean_text)
    if kind.name == "units":
        arrays["unit_key"] = map_distinct(arrays["unit_name"], unit_key)
    table = pa.table(arrays)
    install_macros(con)
    con.register("kam_stage_in", table)
    try:
        return con.sql(_stage_sql(kind, sheet.headers)).to_arrow_table()
    finally:
        con.unregister("kam_stage_in")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _stage_sql(kind, headers: dict[str, str]) -> str:
    select = ["row_no"]
    problems: list[str] = []
    warnings: list[str] = []
    for f in kind.fields:
        c = f'"{f.name}"'
        label = _q(headers.get(f.name, f.canonical))
        required = f.name in kind.required
        if required:
            problems.append(_problem("missing", label, "null", f"{c} is null"))
        if f.type == DATETIME:
            select.append(f"kam_ts({c}) as {f.name}")
            select.append(f"kam_ts({c}) = date_trunc('day', kam_ts({c})) as {f.name}_date_only")
            bad = _problem("bad_date", label, c, f"{c} is not null and kam_ts({c}) is null")
            (problems if required else warnings).append(bad)
        elif f.type == PHONE:
            valid = f"regexp_full_match(kam_phone({c}), '1[3-9][0-9]{{9}}')"
            select.append(f"case when {valid} then kam_phone({c}) end as {f.name}")
            problems.append(_problem("bad_phone", label, c, f"{c} is not null and not {valid}"))
        elif f.type == NUMBER:
            select.append(f"kam_money({c}) as {f.name}")
            bad = _problem("bad_number", label, c, f"{c} is not null and kam_money({c}) is null")
            (problems if required else warnings).append(bad)
            if f.name == "salesperson_commission":
                problems.append(_problem("negative_commission", label, c, f"kam_money({c}) < 0"))
        elif f.type == INTEGER:
            select.append(f"kam_int({c}) as {f.name}")
            warnings.append(_problem("bad_integer", label, c, f"{c} is not null and kam_int({c}) is null"))
        elif f.type == STATUS:
            select.append(
                f"case when lower({c}) in ({_CANCELLED}) then 'cancelled' else 'signed' end as {f.name}"
            )
        else:
            select.append(c)
    if kind.name == "units":
        select.append("unit_key")
    if kind.name == "deals":
        select.append("kam_ts(signed_at)::date as signed_date")
        label = _q(headers.get("cancelled_at", kind.field("cancelled_at").canonical))
        condition = f"lower(status) in ({_CANCELLED}) and kam_ts(cancelled_at) is null"
        warnings.append(_problem("cancelled_without_date", label, "cancelled_at", condition))
    problem_list = "list_filter([" + ", ".join(problems) + "], lambda x: x is not null)"
    warning_list = "list_filter([" + ", ".join(warnings) + "], lambda x: x is not null)" if warnings else "[]"
    return f"""
        select {", ".join(select)},
               {problem_list} as problems,
               {warning_list} as warnings
        from kam_stage_in
    """


_CANCELLED = ", ".join(_q(w.casefold()) for w in CANCELLED_WORDS)
