"""The SQL models (one per file, named by layer: stg_, int_, fct_): read once, run with DuckDB parameters.

A model refers to another by its file name (``from stg_deals_current``); ``run`` first defines every model it
refers to, directly or not, as a temporary view of the cursor, and the macros of ``macros.sql``, so no caller
depends on another having run first. Rule values are passed as parameters (``$visit_share``), never pasted.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import duckdb

FOLDER = Path(__file__).parent
_NAME = re.compile(r"\b((?:stg|int|fct)_[a-z0-9_]+)\b")


def names() -> list[str]:
    """Every model's name (its file name without .sql), sorted."""
    return sorted(p.stem for p in FOLDER.glob("*.sql") if p.stem != "macros")


@cache
def text(name: str) -> str:
    """The SQL of one model (or of ``macros``)."""
    return (FOLDER / f"{name}.sql").read_text(encoding="utf-8")


@cache
def grain(name: str) -> str:
    """The model's grain: its first line without the comment mark."""
    return text(name).splitlines()[0].removeprefix("--").strip()


@cache
def depends_on(name: str) -> tuple[str, ...]:
    """The models ``name`` reads, directly or not, each after the models it reads itself."""
    known = set(names())
    order: list[str] = []
    for ref in _NAME.findall(text(name)):
        if ref in known and ref != name:
            for dep in (*depends_on(ref), ref):
                if dep not in order:
                    order.append(dep)
    return tuple(order)


def prepare(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    """Define the macros and, as temporary views, every model ``name`` reads (but those ``materialize`` made)."""
    cur.execute(text("macros"))
    deps = depends_on(name)
    kept = _materialized(cur) if deps else set()
    for dep in deps:
        if dep not in kept:
            cur.execute(f"create or replace temp view {dep} as {text(dep)}")


def materialize(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    """Compute the model once into a temporary table of its name: every model run on ``cur`` afterwards reads
    the table. Only inside a transaction that is rolled back (the compute's snapshot: the table goes with it),
    since the table does not follow later changes of the rows it was computed from."""
    prepare(cur, name)
    cur.execute(f"create or replace temp table {name} as {text(name)}")


def _materialized(cur: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in cur.execute("select table_name from duckdb_tables() where temporary").fetchall()}


def run(cur: duckdb.DuckDBPyConnection, name: str, **params) -> duckdb.DuckDBPyRelation:
    """The model's rows as a relation; ``params`` are its ``$name`` parameters."""
    prepare(cur, name)
    return cur.sql(text(name), params=params or None)
