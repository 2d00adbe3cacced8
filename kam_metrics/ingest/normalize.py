"""Normalise raw sheet cells (SPEC §2): text in Python over distinct values, typed parsing vectorised in DuckDB SQL."""

from __future__ import annotations

import re
import unicodedata

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from kam_metrics.contract.sheets import (
    DATETIME,
    INTEGER,
    KINDS,
    NAME,
    NUMBER,
    PHONE,
    STATUS,
)
from kam_metrics.contract.text import CANCELLED_WORDS, INVISIBLE_RE, MOBILE_DIGITS
from kam_metrics.ingest import stage_arrow
from kam_metrics.ingest.reader import RawSheet

_CR = re.compile("\r\n?")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_GAP = re.compile(f"([{_HAN}])\\s+(?=[{_HAN}])")
_WS = re.compile(r"\s+")


def clean_text(value: str | None) -> str | None:
    """NFKC, zero-width and control characters removed, line breaks as LF, trimmed; empty → None."""
    if value is None:
        return None
    text = _CR.sub("\n", INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", value))).strip()
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
    encoded = pc.dictionary_encode(array)
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(mapped, encoded.indices)


# Text made only of ASCII and CJK unified ideographs is unchanged by NFKC and holds no zero-width
# characters, so it can be cleaned by vectorised Arrow kernels; anything else goes through Python.
_PLAIN = r"^[\x{20}-\x{7e}\x{4e00}-\x{9fff}\t\n]*$"
_ARROW_HAN = r"\p{Han}"


def _vectorised(array: pa.Array, fast, slow) -> pa.Array:
    plain = pc.fill_null(pc.match_substring_regex(array, _PLAIN), True)
    if pc.all(plain).as_py():
        return fast(array)
    quick = fast(pc.if_else(plain, array, pa.scalar(None, pa.string())))
    careful = map_distinct(pc.if_else(plain, pa.scalar(None, pa.string()), array), slow)
    return pc.if_else(plain, quick, careful)


def _fast_text(array: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _fast_name(array: pa.Array) -> pa.Array:
    text = _fast_text(array)
    if not pc.any(pc.match_substring_regex(text, r"\s")).as_py():
        return text  # no white space inside any name: the replacements below change nothing
    for _ in range(2):  # each pass closes every other gap of a run like "王 小 明"
        text = pc.replace_substring_regex(text, rf"({_ARROW_HAN})\s+({_ARROW_HAN})", r"\1\2")
    return pc.replace_substring_regex(text, r"\s+", " ")


def _fast_unit_key(array: pa.Array) -> pa.Array:
    text = _fast_text(array)
    return pc.utf8_lower(pc.replace_substring_regex(text, r"\s+", ""))


def clean_text_array(array: pa.Array) -> pa.Array:
    """clean_text over a column."""
    return _vectorised(array, _fast_text, clean_text)


def clean_name_array(array: pa.Array) -> pa.Array:
    """clean_name over a column."""
    return _vectorised(array, _fast_name, clean_name)


def unit_key_array(array: pa.Array) -> pa.Array:
    """unit_key over a column."""
    return _vectorised(array, _fast_unit_key, unit_key)


_DATE_PATTERN = (
    r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"|年(\d{1,2})月(\d{1,2})日(?:\s*T?\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)$"
)
_DATE_GROUPS = "['y', 'm1', 'd1', 'h1', 'mi1', 's1', 'f1', 'm2', 'd2', 'h2', 'mi2', 's2', 'f2']"


# SQL expression builders. Parsing runs in layers (see _stage_sql) so that every regular expression is
# evaluated once per cell: a macro would repeat its argument expression at every use.
def _sql_date_parts(c: str) -> str:
    return f"regexp_extract({c}, '{_DATE_PATTERN}', {_DATE_GROUPS})"


def _sql_serial(c: str) -> str:
    return rf"case when regexp_full_match({c}, '\d+(\.\d+)?') then try_cast({c} as double) end"


def _sql_serial_ts(v: str) -> str:
    # Excel's 1900 date system: serial 60 is the fictitious 1900-02-29, so serials below it start a day later.
    return f"""case when {v} >= 61 and {v} < 2958466
                    then timestamp '1899-12-30' + to_seconds(round({v} * 86400)::bigint)
                    when {v} >= 1 and {v} < 60
                    then timestamp '1899-12-31' + to_seconds(round({v} * 86400)::bigint) end"""


def _sql_parts_ts(r: str) -> str:
    def part(a: str, b: str) -> str:
        return f"coalesce(nullif({r}.{a}, ''), nullif({r}.{b}, ''))"

    hour, minute = part("h1", "h2"), part("mi1", "mi2")
    second, frac = f"coalesce({part('s1', 's2')}, '0')", f"coalesce({part('f1', 'f2')}, '0')"
    day = (
        f"try_cast({r}.y || '-' || lpad({part('m1', 'm2')}, 2, '0') || '-' || lpad({part('d1', 'd2')}, 2, '0')"
        " as date)::timestamp"
    )
    time = f"""case when {hour} is null then interval 0 second
                    when {hour}::int > 23 or {minute}::int > 59 or {second}::int > 59 then null
                    else to_seconds(round({hour}::int * 3600 + {minute}::int * 60
                                          + ({second} || '.' || {frac})::double)::bigint) end"""
    return f"case when {r}.y = '' then null else {day} + {time} end"


def _sql_date_only(name: str, general: bool = True) -> str:
    """Whether a parsed value carries no time of day (SPEC §2 "date-only").

    A date cell and an Excel serial cannot tell "no time" from midnight, so there midnight is date-only;
    the reader renders date cells as `YYYY-MM-DD HH:MM:SS`, the quick form. Text in any other form is
    date-only exactly when it has no time part: `2026-11-02 00:00` is a time.
    """
    quick = f'"{name}__quick"'
    cell = f"{quick} = date_trunc('day', {quick})"
    if not general:
        return cell
    serial = f'"{name}__serial"'
    parts = f'"{name}__parts"'
    return (
        f"case when {quick} is not null then {cell} "
        f"when {serial} is not null then round({serial} * 86400)::bigint % 86400 = 0 "
        f"else coalesce(nullif({parts}.h1, ''), nullif({parts}.h2, '')) is null end"
    )


def _sql_phone_digits(c: str) -> str:
    return rf"""regexp_replace(
        case when regexp_full_match({c}, '\d(\.\d+)?[eE]\+?\d+')
               then format('{{:d}}', try_cast(try_cast({c} as double) as hugeint))
             when regexp_full_match({c}, '\d+\.0+') then regexp_replace({c}, '\.0+$', '')
             else {c} end, '\D', '', 'g')"""


def _sql_phone(d: str) -> str:
    # 0086 or 86 before 11 digits is the country code.
    return f"""case when length({d}) = 15 and starts_with({d}, '0086') then {d}[5:]
                    when length({d}) = 13 and starts_with({d}, '86') then {d}[3:] else {d} end"""


def _sql_money(c: str) -> str:
    return rf"""try_cast(regexp_replace(regexp_replace(regexp_replace({c}, '^[¥￥]\s*', ''), '\s*元$', ''),
                '[,\s]', '', 'g') as decimal(18, 2))"""


def _sql_int(d: str) -> str:
    return f"case when {d} >= 0 and {d} = floor({d}) and {d} < 1e9 then {d}::integer end"


def _problem(code: str, label: str, value_sql: str, condition: str) -> str:
    """A SQL struct {code, column, value} when ``condition`` holds, else NULL."""
    return f"case when {condition} then {{'code': '{code}', 'column': {label}, 'value': {value_sql}}} end"


def stage(con: duckdb.DuckDBPyConnection, sheet: RawSheet, *, arrow: bool = True) -> pa.Table:
    """Normalise one raw sheet; returns a table of typed fields plus `problems` (rejections) and `warnings`.

    Columns: row_no, every field of the kind (typed), date-only flags (`<field>_date_only`), derived keys
    (unit_key, signed_date), `problems` (list of {code, column, value}; non-empty = rejected) and `warnings`.
    ``arrow`` False always runs the query (tests compare the two paths).
    """
    kind = KINDS[sheet.kind]
    n = len(sheet.row_numbers)
    arrays: dict[str, pa.Array] = {"row_no": sheet.row_numbers}
    for f in kind.fields:
        raw = sheet.columns.get(f.name)
        if raw is None:
            arrays[f.name] = pa.nulls(n, pa.string())
            continue
        arrays[f.name] = clean_name_array(raw) if f.type == NAME else clean_text_array(raw)
    if kind.name == "units":
        arrays["unit_key"] = unit_key_array(arrays["unit_name"])
    if arrow and n < ARROW_MAX_ROWS and ascending(sheet.row_numbers):
        typed = stage_arrow.plain_columns(kind, arrays)
        if typed is not None:  # every typed cell in its plain form: Arrow kernels, no statement
            return stage_arrow.stage_plain(kind, sheet.headers, arrays, typed, _schema(con, kind))
    table = pa.table(arrays)
    general = {f.name for f in kind.fields if _needs_general_parser(f.type, arrays[f.name])}
    con.register("kam_stage_in", table)
    try:
        return con.sql(_stage_sql(kind, sheet.headers, general)).to_arrow_table()
    finally:
        con.unregister("kam_stage_in")


def ascending(row_numbers: pa.Array) -> bool:
    """Whether the row numbers increase (the reader's always do; the query orders by them)."""
    n = len(row_numbers)
    return n < 2 or bool(pc.all(pc.greater(row_numbers.slice(1), row_numbers.slice(0, n - 1))).as_py())


# Below this many rows a sheet in plain forms is staged by Arrow kernels (no statement: a query's planning
# costs ~10 ms a sheet); from it on the query is faster (its per-row work is lighter and runs on every core).
# Measured: 1M rows, query 1.2-1.5 s CPU, Arrow 2.3-2.5 s; 200 rows, query ~10 ms, Arrow ~1 ms.
ARROW_MAX_ROWS = 10_000

_SCHEMAS: dict[str, pa.Schema] = {}


def _schema(con: duckdb.DuckDBPyConnection, kind) -> pa.Schema:
    """The staging query's result schema for a kind (types do not depend on the rows: asked once, of no rows)."""
    if kind.name not in _SCHEMAS:
        empty = {"row_no": pa.array([], pa.int64())} | {
            f.name: pa.array([], pa.string()) for f in kind.fields
        }
        if kind.name == "units":
            empty["unit_key"] = pa.array([], pa.string())
        view = f"kam_stage_schema_{kind.name}"
        con.register(view, pa.table(empty))
        try:
            sql = _stage_sql(kind, {}, set()).replace("from kam_stage_in", f"from {view}")
            _SCHEMAS[kind.name] = con.sql(sql).to_arrow_table().schema
        finally:
            con.unregister(view)
    return _SCHEMAS[kind.name]


_PLAIN_FORMS = {
    PHONE: f"^{MOBILE_DIGITS}$",
    NUMBER: r"^-?[0-9]+(\.[0-9]+)?$",
}


def _needs_general_parser(field_type: str, array: pa.Array) -> bool:
    """Whether a column holds any value outside the plain form that a short SQL expression parses.

    Planning a query costs time per expression, so the general parsers (a 13-group regular expression
    for dates, digit extraction for phones) enter the staging query only for columns that need them.
    """
    present = pc.is_valid(array)
    if field_type == DATETIME:
        quick = pc.strptime(array, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
        odd = pc.and_(present, pc.is_null(quick))
    elif field_type in _PLAIN_FORMS:
        odd = pc.and_(
            present, pc.invert(pc.fill_null(pc.match_substring_regex(array, _PLAIN_FORMS[field_type]), False))
        )
    else:
        return field_type == INTEGER
    return bool(pc.any(odd).as_py())


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _stage_sql(kind, headers: dict[str, str], general: set[str] | None = None) -> str:
    """Three layers: extract (one regex pass per cell), parse, then validate into problems and warnings.

    Generated in Python, not a model file in kam_metrics/sql, because its columns follow the sheet's header
    mapping. It interpolates only field names, header labels (quoted by _q) and contract constants (the date
    pattern, MOBILE_DIGITS, CANCELLED_WORDS): never a rule value (SPEC §6 rules do not reach ingest)."""
    extract = ["row_no"]
    parse = ["row_no"]
    final = ["row_no"]
    problems: list[str] = []
    warnings: list[str] = []
    general = {f.name for f in kind.fields} if general is None else general
    for f in kind.fields:
        c = f'"{f.name}"'
        label = _q(headers.get(f.name, f.canonical))
        required = f.name in kind.required
        extract.append(c)
        parse.append(c)
        if required:
            problems.append(_problem("missing", label, "null", f"{c} is null"))
        if f.type == DATETIME:
            # Fast path: the form a spreadsheet's own date cells take; the general parser for the rest.
            quick = f"try_strptime({c}, '%Y-%m-%d %H:%M:%S')"
            if f.name in general:
                extract += [
                    f'{quick} as "{f.name}__quick"',
                    f'case when {quick} is null then {_sql_serial(c)} end as "{f.name}__serial"',
                    f'case when {quick} is null then {_sql_date_parts(c)} end as "{f.name}__parts"',
                ]
                parse.append(
                    f'coalesce("{f.name}__quick", {_sql_serial_ts(f"{f.name}__serial")}, '
                    f'{_sql_parts_ts(f"{f.name}__parts")}) as "{f.name}__ts"'
                )
                parse.append(f'{_sql_date_only(f.name)} as "{f.name}__do"')
            else:
                extract.append(f'{quick} as "{f.name}__quick"')
                parse.append(f'"{f.name}__quick" as "{f.name}__ts"')
                parse.append(f'{_sql_date_only(f.name, general=False)} as "{f.name}__do"')
            ts = f'"{f.name}__ts"'
            final += [f"{ts} as {f.name}", f'{ts} is not null and "{f.name}__do" as {f.name}_date_only']
            bad = _problem("bad_date", label, c, f"{c} is not null and {ts} is null")
            (problems if required else warnings).append(bad)
        elif f.type == PHONE:
            if f.name in general:
                extract.append(
                    f"case when regexp_full_match({c}, '{MOBILE_DIGITS}') then {c} "
                    f'else {_sql_phone_digits(c)} end as "{f.name}__digits"'
                )
            else:
                extract.append(f'{c} as "{f.name}__digits"')
            parse.append(f'{_sql_phone(f"{f.name}__digits")} as "{f.name}__phone"')
            p = f'"{f.name}__phone"'
            valid = f"regexp_full_match({p}, '{MOBILE_DIGITS}')"
            final.append(f"case when {valid} then {p} end as {f.name}")
            problems.append(_problem("bad_phone", label, c, f"{c} is not null and not {valid}"))
        elif f.type == NUMBER:
            money = _sql_money(c) if f.name in general else f"try_cast({c} as decimal(18, 2))"
            extract.append(f'{money} as "{f.name}__num"')
            parse.append(f'"{f.name}__num"')
            n = f'"{f.name}__num"'
            final.append(f"{n} as {f.name}")
            bad = _problem("bad_number", label, c, f"{c} is not null and {n} is null")
            (problems if required else warnings).append(bad)
            if f.name == "salesperson_commission":
                problems.append(_problem("negative_commission", label, c, f"{n} < 0"))
        elif f.type == INTEGER:
            extract.append(f'try_cast({c} as double) as "{f.name}__dbl"')
            parse.append(f'{_sql_int(f"{f.name}__dbl")} as "{f.name}__int"')
            final.append(f'"{f.name}__int" as {f.name}')
            warnings.append(_problem("bad_integer", label, c, f'{c} is not null and "{f.name}__int" is null'))
        elif f.type == STATUS:
            final.append(
                f"case when lower({c}) in ({_CANCELLED}) then 'cancelled' else 'signed' end as {f.name}"
            )
        else:
            final.append(c)
    if kind.name == "units":
        extract.append("unit_key")
        parse.append("unit_key")
        final.append("unit_key")
    if kind.name == "deals":
        final.append("signed_at__ts::date as signed_date")
        label = _q(headers.get("cancelled_at", kind.field("cancelled_at").canonical))
        condition = f"lower(status) in ({_CANCELLED}) and cancelled_at__ts is null"
        warnings.append(_problem("cancelled_without_date", label, "cancelled_at", condition))
    problem_list = "list_filter([" + ", ".join(problems) + "], lambda x: x is not null)"
    warning_list = "list_filter([" + ", ".join(warnings) + "], lambda x: x is not null)" if warnings else "[]"
    return f"""
        with extracted as materialized (select {", ".join(extract)} from kam_stage_in),
        parsed as materialized (select {", ".join(parse)} from extracted)
        select {", ".join(final)},
               {problem_list} as problems,
               {warning_list} as warnings
        from parsed
        order by row_no
    """


_CANCELLED = ", ".join(_q(w.casefold()) for w in CANCELLED_WORDS)
