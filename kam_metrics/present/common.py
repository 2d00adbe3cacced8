"""What several pages share: the team filter, the roster order, the shown weeks and the flagged KAMs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.present.format import day, shown, word
from kam_metrics.present.index import cached


def teams(results: Results) -> list[str]:
    """Team names found in the roster, sorted; KAMs without a team are under ""."""
    return sorted({str(x) for x in results.kams["team"]})


def for_team(results: Results, team: str | None) -> Results:
    """The results of one team only (None: everyone). Claims and the registry stay whole (a customer's story
    crosses teams); deals nobody holds stay out of a team's view."""
    if team is None:
        return results
    # one object per (results, team), so what the pages cache on it (present.index) is kept between calls
    return cached(results, ("for_team", team), lambda: _for_team(results, team))


def _for_team(results: Results, team: str) -> Results:
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


def flagged_rows(results: Results, week: str | None = None) -> list[dict]:
    """The flagged KAMs as of ``week`` (None: the last assessed week): each KAM's latest assessed week up to
        then, when it carries a warning or a dismissal review; longest streak first. One definition for the
        overview's count and its list. ``left`` is the roster end date when the KAM was gone before that week
    ended (so that week is not theirs; else None).

        Each row: {kam, team, flag (code), missed_streak, week (the flagged week), left}."""
    weekly = results.weekly
    if weekly.empty:
        return []
    assessed = weekly[~weekly["in_progress"].astype(bool)]
    reference = results.as_of  # the last day that counts
    if week is not None:
        rows = weekly[weekly["week"] == week]
        if not rows.empty:
            start = rows["week_start"].iloc[0]
            assessed = assessed[assessed["week_start"] <= start]
            reference = start + dt.timedelta(days=6)
    latest = assessed.sort_values("week_start").drop_duplicates("kam", keep="last")
    ends = dict(zip(results.kams["kam"], results.kams["end_date"], strict=True))
    out = []
    for r in latest[latest["flag"] != ""].itertuples(index=False):
        end = ends.get(r.kam)
        end = None if end is None or pd.isna(end) else pd.Timestamp(end).date()
        left = end if end is not None and reference is not None and end < reference else None
        out.append(
            {
                "kam": r.kam,
                "team": r.team,
                "flag": r.flag,
                "missed_streak": int(r.missed_streak),
                "week": r.week,
                "left": left,
            }
        )
    return sorted(out, key=lambda r: (-r["missed_streak"], r["kam"]))


def flagged(results: Results, lang: str, week: str | None = None) -> pd.DataFrame:
    """The flagged KAMs (flagged_rows) as shown: KAM, team, flag, streak, and 已离职 (date) for one who left."""
    rows = [
        {
            **r,
            "flag": word("flag", r["flag"], lang),
            "left": t("ui.overview.left", lang, date=day(r["left"])) if r["left"] else "",
        }
        for r in flagged_rows(results, week)
    ]
    return shown(rows, ["kam", "team", "flag", "missed_streak", "left"], lang)
