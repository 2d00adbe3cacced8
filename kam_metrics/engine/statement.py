"""Monthly statements (月度结算, SPEC §5) and the per-KAM summary of the result workbook (SPEC §7)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from kam_metrics.contract.results import RESULT_COLUMNS
from kam_metrics.engine.frames import column_rows

STATEMENT_COLUMNS = list(RESULT_COLUMNS["statement"])
SUMMARY_COLUMNS = list(RESULT_COLUMNS["summary"])
ZERO = Decimal("0.00")


def monthly(commissions: pd.DataFrame, weekly: pd.DataFrame, teams: dict[str, str]) -> pd.DataFrame:
    """One row per KAM and month holding a commission line, a clawback line or an assessed week ending in it."""
    cells: dict[tuple[str, str], dict[str, Decimal]] = {}

    def cell(kam: str, month: str) -> dict[str, Decimal]:
        c = cells.get((kam, month))
        if c is None:
            c = cells[(kam, month)] = {"commission": ZERO, "clawback": ZERO, "fines": ZERO}
        return c

    # Columns as lists and one pass over the rows: a million-lead store has tens of thousands of lines.
    attributed = commissions[commissions["kam"].notna() & (commissions["type"] != "unattributed")]
    for kam, month, line, amount in column_rows(attributed, "kam", "month", "line", "kam_commission"):
        c = cell(kam, month)
        if line == "commission":
            c["commission"] += amount
        else:
            c["clawback"] -= amount
    assessed = weekly[~weekly["in_progress"].astype(bool)] if not weekly.empty else weekly
    month_of: dict = {}
    for kam, start, fine in column_rows(assessed, "kam", "week_start", "fine"):
        month = month_of.get(start)
        if month is None:
            month = month_of[start] = (start + pd.Timedelta(days=6)).strftime("%Y-%m")
        cell(kam, month)["fines"] += fine
    rows = [
        {
            "kam": kam,
            "team": teams.get(kam, ""),
            "month": month,
            **v,
            "net": v["commission"] - v["clawback"] - v["fines"],
        }
        for (kam, month), v in sorted(cells.items())
    ]
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def summary(kams: pd.DataFrame, weekly: pd.DataFrame, statement: pd.DataFrame) -> pd.DataFrame:
    """Every KAM (also those never assessed): weeks, totals over all months, the last assessed week's streak and flag."""
    assessed = weekly[~weekly["in_progress"].astype(bool)] if not weekly.empty else weekly
    # One pass over the weekly rows and one over the statement rows (not one filter per KAM).
    weeks: dict[str, list] = {}  # kam -> [weeks assessed, weeks met, last streak, last flag]
    if not assessed.empty:
        for kam, met, streak, flag in column_rows(assessed, "kam", "met", "missed_streak", "flag"):
            w = weeks.setdefault(kam, [0, 0, 0, ""])
            w[0] += 1
            w[1] += int(met)
            w[2], w[3] = int(streak), flag
    totals: dict[str, list[Decimal]] = {}  # kam -> [commission, clawback, fines]
    for kam, commission, clawback, fines in column_rows(statement, "kam", "commission", "clawback", "fines"):
        m = totals.setdefault(kam, [ZERO, ZERO, ZERO])
        m[0] += commission
        m[1] += clawback
        m[2] += fines
    rows = []
    for kam, team in column_rows(kams, "kam", "team"):
        assessed_weeks, met, streak, flag = weeks.get(kam, (0, 0, 0, ""))
        commission, clawback, fines = totals.get(kam, (ZERO, ZERO, ZERO))
        rows.append(
            {
                "kam": kam,
                "team": team,
                "weeks_assessed": assessed_weeks,
                "weeks_met": met,
                "fines_total": fines,
                "commission_total": commission,
                "clawback_total": clawback,
                "net_total": commission - clawback - fines,
                "missed_streak": streak,
                "flag": flag,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
