"""The weekly page's view: the KAM × week grid, one KAM-week with every row behind its counts, the weekly table."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pandas as pd

from kam_metrics.access.roles import Refused, Viewer, require_page
from kam_metrics.access.scope import allowed_kams, own_phones, phone_shown, scope
from kam_metrics.engine.assessment import QUOTAS
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.common import chosen, flagged, kam_names, week_label, weeks
from kam_metrics.present.customer import customer_ref
from kam_metrics.present.dispute_rows import reasons_of, status_with_mark
from kam_metrics.present.format import money, shown, stamp, word
from kam_metrics.present.index import cached, fresh, rows_of
from kam_metrics.present.why import first_registrations, lead_why, visit_why

CELLS = ["kam", "week", "state", "state_label", "counts", "fine", "flag", "text"]


def cell_text(state: str, fine: object) -> str:
    """What a grid cell says on itself: an assessed week's fine in whole yuan (cents when there are), an
    in-progress week "…" (nothing is settled yet)."""
    if state == "in_progress":
        return "…"
    amount = Decimal(fine)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def cell_state(in_progress: object, met: object) -> str:
    """A KAM-week's state on the grid: in_progress, met or missed."""
    return "in_progress" if in_progress else "met" if met else "missed"


def heatmap(results: Results, lang: str) -> pd.DataFrame:
    """One row per KAM-week: kam, week, state (met / missed / in_progress), state word, the hover's lines as
    plain text (counts against targets, the fine, the flag with its streak or empty) and the cell's own text."""
    weekly = results.weekly
    if weekly.empty:
        return pd.DataFrame([], columns=CELLS)
    # column at a time: the counts as one string operation, each distinct fine and flag worded once
    states = [cell_state(p, m) for p, m in zip(weekly["in_progress"], weekly["met"], strict=True)]
    words = {s: t(f"ui.state.{s}", lang) for s in set(states)}
    counts = None
    for q in QUOTAS:
        part = f"{t(f'ui.col.{q}', lang)} " + weekly[q].astype(str) + f"/{getattr(results.rules.targets, q)}"
        counts = part if counts is None else counts + " · " + part
    fine_word = t("ui.col.fine", lang)
    fines = {f: f"{fine_word} {money(f)}" for f in set(weekly["fine"])}
    texts: dict[tuple, str] = {}
    flags: dict[tuple, str] = {}

    def flag(code: object, streak: object) -> str:
        if not code:
            return ""
        if (code, streak) not in flags:
            flags[(code, streak)] = f"{t(f'flag.{code}', lang)} ({t('ui.streak', lang, n=streak)})"
        return flags[(code, streak)]

    def text(state: str, fine: object) -> str:
        if (state, fine) not in texts:
            texts[(state, fine)] = cell_text(state, fine)
        return texts[(state, fine)]

    data = {
        "kam": list(weekly["kam"]),
        "week": list(weekly["week"]),
        "state": states,
        "state_label": [words[s] for s in states],
        "counts": counts.tolist(),
        "fine": [fines[f] if f in fines else f"{fine_word} {money(f)}" for f in weekly["fine"]],
        "flag": [flag(c, n) for c, n in zip(weekly["flag"], weekly["missed_streak"], strict=True)],
        "text": [text(s, f) for s, f in zip(states, weekly["fine"], strict=True)],
    }
    return pd.DataFrame(data, columns=CELLS)


def weekly_table(results: Results, lang: str) -> pd.DataFrame:
    """The KAM × week rows as shown: counts, shortfalls, fine, met, streak and flag in words."""
    columns = ["kam", "team", "week", "units", "batches", "numbers", "fine", "met", "missed_streak", "flag"]
    weekly = results.weekly
    if weekly.empty:
        return shown([], columns, lang)
    met = {k: t(k, lang) for k in ("ui.state.in_progress", "ui.yes", "ui.no")}
    fines = {f: money(f) for f in set(weekly["fine"])}
    flags = {f: word("flag", f, lang) for f in set(weekly["flag"])}
    data = {
        "kam": list(weekly["kam"]),
        "team": list(weekly["team"]),
        "week": list(weekly["week"]),
        **{c: list(weekly[c]) for c in ("units", "batches", "numbers")},
        "fine": [fines[f] if f in fines else money(f) for f in weekly["fine"]],
        "met": [
            met["ui.state.in_progress" if p else "ui.yes" if m else "ui.no"]
            for p, m in zip(weekly["in_progress"], weekly["met"], strict=True)
        ],
        "missed_streak": list(weekly["missed_streak"]),
        "flag": [flags[f] if f in flags else word("flag", f, lang) for f in weekly["flag"]],
    }
    return shown(data, columns, lang)


def _week_bounds(results: Results, week: str) -> tuple[dt.date, dt.date]:
    rows = results.weekly[results.weekly["week"] == week]
    if rows.empty:
        raise KeyError(week)
    start = rows["week_start"].iloc[0]
    return start, start + dt.timedelta(days=7)


def _in_week(frame: pd.DataFrame, column: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    ts = pd.to_datetime(frame[column])
    return frame[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))]


def kam_week(results: Results, viewer: Viewer, kam: str, week: str, lang: str, key: bytes = b"") -> dict:
    """Everything behind one KAM-week: the week's row and the units, leads and visits it counted or refused.

    Returns {row: dict of the weekly row (raw values) or None, quotas: frame (quota, count, target,
    shortfall), units, leads, visits: display frames, refs: {leads, visits: each row's customer_ref under
    ``key``, in row order}}. Raises KeyError for a week not shown, roles.Refused for a KAM ``viewer`` may not
    see (another KAM for a KAM, another team's for a team lead).
    """
    results = scope(results, viewer)
    names = allowed_kams(results, viewer)
    if names is not None and kam not in names:
        raise Refused(viewer, "kam:" + kam)
    own = own_phones(results, viewer)
    start, end = _week_bounds(results, week)
    weekly = results.weekly[(results.weekly["kam"] == kam) & (results.weekly["week"] == week)]
    row = weekly.iloc[0].to_dict() if len(weekly) else None
    quota_rows = []
    if row is not None:
        for q in QUOTAS:
            quota_rows.append(
                {
                    "quota": t(f"ui.col.{q}", lang),
                    "count": int(row[q]),
                    "target": int(getattr(results.rules.targets, q)),
                    "shortfall": int(row[f"{q}_short"]),
                    "fine": money(int(row[f"{q}_short"]) * getattr(results.rules.fines, q)),
                }
            )
    first_reg = first_registrations(results)
    reasons = reasons_of(results)
    # the KAM's rows through the per-Results positions (a million-row filter per drill-down otherwise)
    units = _in_week(rows_of(results, "units", "kam", kam), "date", start, end)
    leads = _in_week(rows_of(results, "leads", "kam", kam), "reported_at", start, end)
    visits = _in_week(rows_of(results, "visits", "kam", kam), "visited_at", start, end)
    return {
        "row": row,
        "refs": {
            "leads": [customer_ref(p, key) for p in leads["phone"]],
            "visits": [customer_ref(p, key) for p in visits["phone"]],
        },
        "quotas": shown(quota_rows, ["quota", "count", "target", "shortfall", "fine"], lang),
        "units": shown(
            [
                {
                    "date": stamp(r.date, r.date_date_only),
                    "unit_name": r.unit_name,
                    "status": status_with_mark(word("status", r.status, lang), r.adjudication, reasons, lang),
                    "why": t(f"ui.why.unit_{r.status}", lang),
                }
                for r in units.itertuples(index=False)
            ],
            ["date", "unit_name", "status", "why"],
            lang,
        ),
        "leads": shown(
            [
                {
                    "reported_at": stamp(r.reported_at, r.reported_at_date_only),
                    "phone": phone_shown(viewer, r.phone, r.phone in own, download=False),
                    "customer_name": r.customer_name,
                    "status": status_with_mark(word("status", r.status, lang), r.adjudication, reasons, lang),
                    "why": lead_why(r.status, r.claim_kam, first_reg.get(r.phone), lang),
                }
                for r in leads.itertuples(index=False)
            ],
            ["reported_at", "phone", "customer_name", "status", "why"],
            lang,
        ),
        "visits": shown(
            [
                {
                    "visited_at": stamp(r.visited_at, r.visited_at_date_only),
                    "phone": phone_shown(viewer, r.phone, r.phone in own, download=False),
                    "customer_name": r.customer_name,
                    "salesperson": r.salesperson,
                    "status": status_with_mark(word("status", r.status, lang), r.adjudication, reasons, lang),
                    "why": visit_why(r.status, r.claim_kam, r.salesperson, lang),
                }
                for r in visits.itertuples(index=False)
            ],
            ["visited_at", "phone", "customer_name", "salesperson", "status", "why"],
            lang,
        ),
    }


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One assessed KAM-week's headline figures, as words."""

    state: str  # met / missed / in_progress
    state_label: str
    fine: str
    missed_streak: int
    flag: str  # the flag's word, or "—"
    team: str  # the team, or the word for no team


@dataclasses.dataclass(frozen=True)
class KamWeekView:
    """One KAM-week: its label, its verdict (None when the KAM was not assessed that week) and the rows."""

    kam: str
    week: str
    label: str
    verdict: Verdict | None
    quotas: pd.DataFrame
    parts: dict[str, pd.DataFrame]  # units, leads, visits in this order
    refs: dict[str, list[str]]  # leads, visits: each row's customer reference (the link to its story)


@dataclasses.dataclass(frozen=True)
class WeeklyView:
    """The weekly page: the grid's cells, the pick lists, the chosen KAM-week (or None), flagged KAMs, the table."""

    kams: list[str]
    weeks: list[str]
    cells: pd.DataFrame
    detail: KamWeekView | None
    flagged: pd.DataFrame
    table: pd.DataFrame


def kam_week_view(
    results: Results, viewer: Viewer, kam: str, week: str, lang: str, key: bytes = b""
) -> KamWeekView:
    """What the page shows for one KAM-week (``key``: the installation's key for customer references)."""
    results = scope(results, viewer)
    detail = kam_week(results, viewer, kam, week, lang, key)
    row = detail["row"]
    verdict = None
    if row is not None:
        state = cell_state(row["in_progress"], row["met"])
        verdict = Verdict(
            state=state,
            state_label=t(f"ui.state.{state}", lang),
            fine=money(row["fine"]),
            missed_streak=int(row["missed_streak"]),
            flag=t(f"flag.{row['flag']}", lang) or "—",
            team=row["team"] or t("ui.no_team", lang),
        )
    return KamWeekView(
        kam=kam,
        week=week,
        label=week_label(results, week, lang),
        verdict=verdict,
        quotas=detail["quotas"],
        parts={p: detail[p] for p in ("units", "leads", "visits")},
        refs=detail["refs"],
    )


def view(
    results: Results,
    viewer: Viewer,
    lang: str,
    kam: str | None = None,
    week: str | None = None,
    key: bytes = b"",
) -> WeeklyView:
    """The weekly page of the KAMs ``viewer`` may see, with the KAM-week of ``kam`` and ``week`` opened when
    both are shown."""
    require_page(viewer, "weekly")
    results = scope(results, viewer)
    kams, shown_weeks = kam_names(results), weeks(results)
    kam, week = chosen(kam, kams), chosen(week, shown_weeks)
    if not shown_weeks:
        empty = pd.DataFrame()
        return WeeklyView(kams, [], pd.DataFrame(columns=CELLS), None, empty, empty)
    return WeeklyView(
        kams=kams,
        weeks=shown_weeks,
        # the grid, the flagged list and the table are the same on every call: built once per (scoped) Results
        cells=fresh(cached(results, ("weekly.cells", lang), lambda: heatmap(results, lang))),
        detail=kam_week_view(results, viewer, kam, week, lang, key) if kam and week else None,
        flagged=fresh(cached(results, ("weekly.flagged", lang), lambda: flagged(results, lang))),
        table=fresh(cached(results, ("weekly.table", lang), lambda: weekly_table(results, lang))),
    )
