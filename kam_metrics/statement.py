"""Monthly statements (月度结算, SPEC §5) and the per-KAM summary of the result workbook (SPEC §7)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

STATEMENT_COLUMNS = ["kam", "team", "month", "commission", "clawback", "fines", "net"]
SUMMARY_COLUMNS = [
    "kam",
    "team",
    "weeks_assessed",
    "weeks_met",
    "fines_total",
    "commission_total",
    "clawback_total",
    "net_total",
    "missed_streak",
    "flag",
]
ZERO = Decimal("0.00")


def monthly(commissions: pd.DataFrame, weekly: pd.DataFrame, teams: dict[str, str]) -> pd.DataFrame:
    """One row per KAM and month holding a commission line, a clawback line or an assessed week ending in it."""
    cells: dict[tuple[str, str], dict[str, Decimal]] = {}

    def cell(kam: str, month: str) -> dict[str, Decimal]:
        return cells.setdefault((kam, month), {"commission": ZERO, "clawback": ZERO, "fines": ZERO})

    attributed = commissions[commissions["kam"].notna() & (commissions["type"] != "unattributed")]
    for row in attributed.itertuples(index=False):
        c = cell(row.kam, row.month)
        if row.line == "commission":
            c["commission"] += row.kam_commission
        else:
            c["clawback"] -= row.kam_commission
    assessed = weekly[~weekly["in_progress"].astype(bool)] if not weekly.empty else weekly
    for row in assessed.itertuples(index=False):
        month = (row.week_start + pd.Timedelta(days=6)).strftime("%Y-%m")
        cell(row.kam, month)["fines"] += row.fine
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
    rows = []
    assessed = weekly[~weekly["in_progress"].astype(bool)] if not weekly.empty else weekly
    for kam in kams.itertuples(index=False):
        weeks = assessed[assessed["kam"] == kam.kam] if not assessed.empty else assessed
        months = statement[statement["kam"] == kam.kam]
        commission = sum(months["commission"], ZERO)
        clawback = sum(months["clawback"], ZERO)
        fines = sum(months["fines"], ZERO)
        last = weeks.iloc[-1] if len(weeks) else None
        rows.append(
            {
                "kam": kam.kam,
                "team": kam.team,
                "weeks_assessed": len(weeks),
                "weeks_met": int(weeks["met"].sum()) if len(weeks) else 0,
                "fines_total": fines,
                "commission_total": commission,
                "clawback_total": clawback,
                "net_total": commission - clawback - fines,
                "missed_streak": int(last["missed_streak"]) if last is not None else 0,
                "flag": last["flag"] if last is not None else "",
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
