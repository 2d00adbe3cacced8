"""Results as they would be with one more adjudication (SPEC §8), computed without storing it: the what-if of a dispute."""

from __future__ import annotations

import datetime as dt

from kam_metrics.contract.rules import Rules, RuleSet
from kam_metrics.engine import report
from kam_metrics.engine.adjudication import LIVE
from kam_metrics.engine.report import Results
from kam_metrics.ingest.store import Store

# The columns of the adjudications table that name a row (ingest.decisions.ROW_COLUMNS).
ROW_COLUMNS = ("kam", "phone", "row_at", "row_at_date_only", "row_date", "unit_key", "unit_name", "property")
KEY_COLUMNS = {
    "lead": ("kam", "phone", "row_at"),
    "visit": ("kam", "phone", "row_at"),
    "unit": ("kam", "row_date", "unit_key"),
    "deal": ("phone", "property", "row_date"),
}


def with_adjudication(
    store: Store,
    kind: str,
    row: dict,
    verdict: str,
    verdict_kam: str | None = None,
    rules: Rules | RuleSet | None = None,
    as_of: dt.date | None = None,
) -> Results:
    """report.compute as if the adjudication (``kind``, ``row``: the ROW_COLUMNS of a stored dispute or RowKey,
    ``verdict``, ``verdict_kam``) were stored, replacing a live one of the same row.

    The stored table is never written: inside the snapshot's transaction a temporary copy named
    ``adjudications`` shadows it (DuckDB looks in the temp schema first), takes the hypothetical row, and goes
    with the rollback. So a what-if holds no write lock and cannot conflict with a real decision."""
    with report.snapshot(store, rules, "with_adjudication") as (cur, ruleset):
        cur.execute("create temp table adjudications as select * from main.adjudications")
        where = " and ".join(f"{c} is not distinct from ?" for c in KEY_COLUMNS[kind])
        cur.execute(
            f"update temp.adjudications set removed_at = current_timestamp where kind = ? and {LIVE} and {where}",
            [kind, *(row.get(c) for c in KEY_COLUMNS[kind])],
        )
        new_id = cur.execute(
            "select coalesce(max(adjudication_id), 0) + 1 from temp.adjudications"
        ).fetchone()[0]
        cur.execute(
            f"insert into temp.adjudications (adjudication_id, kind, {', '.join(ROW_COLUMNS)}, verdict, verdict_kam, "
            "reason, decided_by, decided_at) values (" + ", ".join(["?"] * 15) + ")",
            [new_id, kind, *(row.get(c) for c in ROW_COLUMNS), verdict, verdict_kam, "what-if", "what-if",
             dt.datetime.now().replace(microsecond=0)],
        )  # fmt: skip
        return report._compute(cur, ruleset, as_of, None)
