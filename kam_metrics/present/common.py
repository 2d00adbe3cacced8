"""What several pages share: the team filter, the roster order, the shown weeks and the flagged KAMs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.format import day, shown, word


def teams(results: Results) -> list[str]:
    """Team names found in the roster, sorted; KAMs without a team are under ""."""
    return sorted({str(x) for x in results.kams["team"]})


def for_team(results: Results, team: str | None) -> Results:
    """The results of one team only (None: everyone). Claims and the registry stay whole (a customer's story
    crosses teams); deals nobody holds stay out of a team's view."""
    if team is None:
        return results
    kams = results.kams[results.kams["team"] == team]
    names = set(kams["kam"])

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["kam"].isin(names)].reset_index(drop=True)

    return dataclasses.replace(
        results,
        kams=kams.reset_index(drop=True),
        summary=keep(results.summary),
        weekly=keep(results.weekly),
        statement=keep(results.statement),
        commissions=keep(results.commissions),
        leads=keep(results.leads),
        visits=keep(results.visits),
        units=keep(results.units),
    )


def kam_names(results: Results) -> list[str]:
    """Every KAM in roster order (team, then name)."""
    return [str(k) for k in results.kams["kam"]]


def weeks(results: Results) -> list[str]:
    """Week names shown in the weekly assessment, oldest first (the in-progress week last)."""
    if results.weekly.empty:
        return []
    frame = results.weekly.drop_duplicates("week").sort_values("week_start")
    return [str(w) for w in frame["week"]]


def week_label(results: Results, week: str, lang: str) -> str:
    """``2026-W48 (2026-11-23 – 2026-11-29, 进行中)``."""
    rows = results.weekly[results.weekly["week"] == week]
    if rows.empty:
        return week
    start = rows["week_start"].iloc[0]
    end = start + dt.timedelta(days=6)
    text = f"{week} ({day(start)} – {day(end)}"
    if bool(rows["in_progress"].iloc[0]):
        text += ", " + t("ui.in_progress", lang)
    return text + ")"


def week_labels(results: Results, lang: str) -> dict[str, str]:
    """Every shown week → its label, for a pick list."""
    return {w: week_label(results, w, lang) for w in weeks(results)}


def chosen(value: str | None, options: list[str], default: str | None = None) -> str | None:
    """A pick that is still one of ``options``, else ``default`` (a team or date change can drop it)."""
    return value if value in options else default


def flagged(results: Results, lang: str) -> pd.DataFrame:
    """KAMs whose last assessed week carries a warning or a dismissal review, longest streak first."""
    frame = results.summary[results.summary["flag"] != ""].sort_values(
        ["missed_streak", "kam"], ascending=[False, True]
    )
    rows = [
        {"kam": r.kam, "team": r.team, "flag": word("flag", r.flag, lang), "missed_streak": r.missed_streak}
        for r in frame.itertuples(index=False)
    ]
    return shown(rows, ["kam", "team", "flag", "missed_streak"], lang)
