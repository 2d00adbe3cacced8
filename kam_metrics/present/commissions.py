"""The commissions page's view: the monthly statement per KAM, team totals and the deal lines behind them."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pandas as pd

from kam_metrics.access.roles import Viewer, require_page
from kam_metrics.access.scope import own_phones, phone_shown, scope
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.common import chosen, kam_names
from kam_metrics.present.format import day, money, shown, text, word
from kam_metrics.present.index import memo_view

ALL = "*"  # the month pick's "all months"
SUMS = ("commission", "clawback", "fines", "net")
# The money columns come right after who and what, so the table's right edge never hides them.
LINES = [
    "month",
    "kam",
    "signed_at",
    "property",
    "line",
    "kam_commission",
    "salesperson_commission",
    "salesperson_net",
    "salesperson",
    "customer_name",
    "phone",
    "type",
    "reason",
    "cancelled_at",
]
LINE_MONEY = ("kam_commission", "salesperson_net")


def months(results: Results) -> list[str]:
    """Months that hold a statement line, oldest first."""
    return sorted({str(m) for m in results.statement["month"]})


def _of_month(results: Results, month: str | None, kam: str | None = None) -> pd.DataFrame:
    frame = results.statement if month is None else results.statement[results.statement["month"] == month]
    return frame if kam is None else frame[frame["kam"] == kam]


def _sums(lines: pd.DataFrame) -> dict[str, Decimal]:
    return {c: sum(lines[c], Decimal("0.00")) for c in SUMS}


def statement_table(
    results: Results, viewer: Viewer, month: str | None, lang: str, kam: str | None = None
) -> pd.DataFrame:
    """The monthly statement per KAM ``viewer`` may see (all months summed when ``month`` is None), money as
    words; of one KAM when ``kam`` is given, else each team's KAMs followed by the team's subtotal and, with
    several teams, a total row."""
    results = scope(results, viewer)
    frame = _of_month(results, month, kam)
    rows = []
    teams: list[str] = []
    # each KAM's lines in one pass (was one filter of every line per KAM); a group keeps the lines' order
    by_kam = dict(list(frame.groupby("kam", sort=False, observed=True))) if len(frame) else {}
    for name in kam_names(results) if kam is None else [kam]:
        lines = by_kam.get(name)
        if lines is None or lines.empty:
            continue
        team = lines["team"].iloc[0]
        if kam is None and teams and team != teams[-1]:
            rows.append(_subtotal(frame, teams[-1], lang))
        if not teams or team != teams[-1]:
            teams.append(team)
        rows.append({"kam": name, "team": team, **{c: money(v) for c, v in _sums(lines).items()}})
    if kam is None and teams:
        rows.append(_subtotal(frame, teams[-1], lang))
        if len(teams) > 1:
            total = {c: money(v) for c, v in _sums(frame).items()}
            rows.append({"kam": t("ui.comm.total", lang), "team": "", **total})
    return shown(rows, ["kam", "team", *SUMS], lang)


def _subtotal(frame: pd.DataFrame, team: str, lang: str) -> dict:
    sums = _sums(frame[frame["team"] == team])
    return {"kam": t("ui.comm.subtotal", lang), "team": team, **{c: money(v) for c, v in sums.items()}}


def statement_totals(
    results: Results, viewer: Viewer, month: str | None, kam: str | None = None
) -> dict[str, Decimal]:
    """Totals of the statement ``viewer`` may see (of one KAM when given): commission, clawback, fines, net."""
    return _sums(_of_month(scope(results, viewer), month, kam))


def deal_lines(
    results: Results, viewer: Viewer, lang: str, kam: str | None = None, month: str | None = None
) -> pd.DataFrame:
    """The deal lines behind the statements: commission and clawback lines (a clawback with its 退房日期),
    unattributed deals included when no KAM is chosen; a last 合计 row sums the money columns (its
    大客户经理佣金 is the statement's commission minus its clawback). Only the lines ``viewer`` may see, phones
    as SPEC §10 lets them (access.scope.phone_shown)."""
    results = scope(results, viewer)
    own = own_phones(results, viewer)
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
            "phone": phone_shown(viewer, r.phone, r.phone in own, download=False),
            "property": r.property,
            "salesperson": r.salesperson,
            "salesperson_commission": money(r.salesperson_commission),
            "type": word("type", r.type, lang),
            "reason": word("reason", r.reason, lang),
            "line": word("line", r.line, lang),
            "kam_commission": money(r.kam_commission),
            "salesperson_net": money(r.salesperson_net),
            "cancelled_at": day(r.cancelled_at) if r.line == "clawback" else "",
        }
        for r in frame.itertuples(index=False)
    ]
    if rows:
        # A clawback line repeats the deal's salesperson commission: it counts once, on the commission line.
        deals = frame[frame["line"] == "commission"]
        sums = {c: money(sum(frame[c], Decimal("0.00"))) for c in LINE_MONEY}
        sums["salesperson_commission"] = money(sum(deals["salesperson_commission"], Decimal("0.00")))
        rows.append({"month": "", "kam": t("ui.comm.total", lang), **sums})
    return shown(rows, LINES, lang)


def column_widths(frame: pd.DataFrame) -> dict[str, int]:
    """Pixels per shown column, wide enough for its header and its longest value (a CJK character is
    about twice a Latin one), so no reason or amount is cut off."""

    def width(value: object) -> int:
        text = str(value)
        return sum(14 if ord(c) > 0x2E80 else 8 for c in text) + 26

    # each distinct value once: a column repeats its names, types and reasons over thousands of lines
    return {c: max([width(c), *(width(v) for v in pd.unique(frame[c]))]) for c in frame.columns}


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
    line_widths: dict[str, int]
    reconcile: dict[str, str]  # lines (the 合计 row's 大客户经理佣金), commission, clawback: as money
    as_of: str


def view(
    results: Results, viewer: Viewer, lang: str, month: str | None = None, kam: str | None = None
) -> CommissionsView:
    """The commissions of ``month`` (None: the latest; ``ALL``: every month) and of ``kam`` (None: all of the
    KAMs ``viewer`` may see): the cards, the statement and the deal lines all follow both picks."""
    require_page(viewer, "commissions")
    results = scope(results, viewer)
    # the same picks of the same (scoped) Results show the same page: built once, then looked up
    key = ("commissions.view", viewer, lang, month, kam)
    return memo_view(results, key, lambda: _view(results, viewer, lang, month, kam))


def _view(results: Results, viewer: Viewer, lang: str, month: str | None, kam: str | None) -> CommissionsView:
    shown_months = months(results)
    kams = kam_names(results)
    month = None if month == ALL else chosen(month, shown_months, shown_months[-1] if shown_months else None)
    kam = chosen(kam, kams)
    lines = deal_lines(results, viewer, lang, kam=kam, month=month)
    totals = statement_totals(results, viewer, month, kam)
    lines_frame = results.commissions
    if kam is not None:
        lines_frame = lines_frame[lines_frame["kam"] == kam]
    if month is not None:
        lines_frame = lines_frame[lines_frame["month"] == month]
    # One month chosen: its column says nothing, and the room goes to the reason of an unattributed deal.
    hidden = t("ui.col.month", lang) if month else None
    return CommissionsView(
        months=shown_months,
        kams=kams,
        month=month,
        month_title=month or t("ui.comm.all_months", lang),
        kam=kam,
        totals={c: money(v) for c, v in totals.items()},
        statement=statement_table(results, viewer, month, lang, kam),
        lines=lines,
        line_columns=[c for c in lines.columns if c != hidden],
        line_widths=column_widths(lines),
        reconcile={
            "lines": money(sum(lines_frame["kam_commission"], Decimal("0.00"))),
            "commission": money(totals["commission"]),
            "clawback": money(totals["clawback"]),
        },
        as_of=day(results.as_of),
    )
