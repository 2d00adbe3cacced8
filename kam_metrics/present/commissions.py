"""The commissions page's view: the monthly statement per KAM, team totals and the deal lines behind them."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pandas as pd

from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.common import chosen, kam_names
from kam_metrics.present.format import day, mask_phone, money, shown, text, word

ALL = "*"  # the month pick's "all months"
SUMS = ("commission", "clawback", "fines", "net")
LINES = [
    "month",
    "kam",
    "signed_at",
    "customer_name",
    "phone",
    "property",
    "salesperson",
    "salesperson_commission",
    "type",
    "reason",
    "line",
    "kam_commission",
    "salesperson_net",
]


def months(results: Results) -> list[str]:
    """Months that hold a statement line, oldest first."""
    return sorted({str(m) for m in results.statement["month"]})


def _of_month(results: Results, month: str | None) -> pd.DataFrame:
    return results.statement if month is None else results.statement[results.statement["month"] == month]


def _sums(lines: pd.DataFrame) -> dict[str, Decimal]:
    return {c: sum(lines[c], Decimal("0.00")) for c in SUMS}


def statement_table(results: Results, month: str | None, lang: str) -> pd.DataFrame:
    """The monthly statement per KAM (all months summed when ``month`` is None), money as words."""
    frame = _of_month(results, month)
    rows = []
    for kam in kam_names(results):
        lines = frame[frame["kam"] == kam]
        if lines.empty:
            continue
        sums = {c: money(v) for c, v in _sums(lines).items()}
        rows.append({"kam": kam, "team": lines["team"].iloc[0], **sums})
    return shown(rows, ["kam", "team", *SUMS], lang)


def statement_totals(results: Results, month: str | None) -> dict[str, Decimal]:
    """Team totals of the statement: commission, clawback, fines, net."""
    return _sums(_of_month(results, month))


def deal_lines(results: Results, lang: str, kam: str | None = None, month: str | None = None) -> pd.DataFrame:
    """The deal lines behind the statements: commission and clawback lines, unattributed deals included
    when no KAM is chosen."""
    frame = results.commissions
    if kam is not None:
        frame = frame[frame["kam"] == kam]
    if month is not None:
        frame = frame[frame["month"] == month]
    rows = [
        {
            "month": r.month,
            "kam": text(r.kam),
            "signed_at": day(r.signed_date),
            "customer_name": text(r.customer_name),
            "phone": mask_phone(r.phone),
            "property": r.property,
            "salesperson": r.salesperson,
            "salesperson_commission": money(r.salesperson_commission),
            "type": word("type", r.type, lang),
            "reason": word("reason", r.reason, lang),
            "line": word("line", r.line, lang),
            "kam_commission": money(r.kam_commission),
            "salesperson_net": money(r.salesperson_net),
        }
        for r in frame.itertuples(index=False)
    ]
    return shown(rows, LINES, lang)


@dataclasses.dataclass(frozen=True)
class CommissionsView:
    """The commissions page: pick lists, the chosen month (None: all), totals as money, the statement, the
    deal lines with the columns worth showing, and the as-of date for the workbooks' file names."""

    months: list[str]
    kams: list[str]
    month: str | None
    month_title: str
    kam: str | None
    totals: dict[str, str]
    statement: pd.DataFrame
    lines: pd.DataFrame
    line_columns: list[str]
    as_of: str


def view(results: Results, lang: str, month: str | None = None, kam: str | None = None) -> CommissionsView:
    """The commissions of ``month`` (None: the latest; ``ALL``: every month) and the lines of ``kam`` (None: all)."""
    shown_months = months(results)
    kams = kam_names(results)
    month = None if month == ALL else chosen(month, shown_months, shown_months[-1] if shown_months else None)
    kam = chosen(kam, kams)
    lines = deal_lines(results, lang, kam=kam, month=month)
    # One month chosen: its column says nothing, and the room goes to the reason of an unattributed deal.
    hidden = t("ui.col.month", lang) if month else None
    return CommissionsView(
        months=shown_months,
        kams=kams,
        month=month,
        month_title=month or t("ui.comm.all_months", lang),
        kam=kam,
        totals={c: money(v) for c, v in statement_totals(results, month).items()},
        statement=statement_table(results, month, lang),
        lines=lines,
        line_columns=[c for c in lines.columns if c != hidden],
        as_of=day(results.as_of),
    )
