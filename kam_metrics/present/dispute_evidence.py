"""A dispute's evidence and what-if (SPEC §8): the customer's story with files, sheets and Excel rows, and what
accepting would change for each KAM concerned (engine.what_if), and for the row's KAM-week."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pandas as pd

from kam_metrics.access.roles import LOCAL
from kam_metrics.engine import story, what_if
from kam_metrics.engine.report import Results
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store
from kam_metrics.present.customer import claim_text, customer_story
from kam_metrics.present.dispute_rows import reasons_of, status_with_mark
from kam_metrics.present.format import money, shown, stamp, text, word

ZERO = Decimal("0.00")
WHATIF = ["kam", "team", *(f"whatif_{f}_{w}" for f in ("fines", "commission", "adjustments", "net", "flag")
                           for w in ("now", "new"))]  # fmt: skip
EVIDENCE = ["time", "event", "kam", "status", "detail", "claim_holder", "file", "sheet", "row"]


# -- evidence and what-if -----------------------------------------------------------------------------------------
def evidence(results: Results, store: Store, kind: str, row: dict, lang: str) -> pd.DataFrame:
    """The customer's story of the row's phone (present.customer.customer_story) with each event's file, sheet and
    Excel row and the claim holder the lead or visit met; for a unit, every unit row of that name."""
    files = dict(zip(store.uploads()["upload_id"].astype(int), store.uploads()["file_name"], strict=True))
    if kind == "unit":
        units = results.units[results.units["unit_key"] == row["unit_key"]].sort_values(
            ["date", "upload_id", "row_no"]
        )
        reasons = reasons_of(results)
        found = [
            {"time": stamp(u.date, bool(u.date_date_only)), "event": t("disputes.kind.unit", lang), "kam": u.kam,
             "status": status_with_mark(word("status", u.status, lang), u.adjudication, reasons, lang),
             "detail": text(u.unit_name), "claim_holder": "", "file": files.get(int(u.upload_id), ""),
             "sheet": text(u.sheet), "row": str(int(u.row_no))}
            for u in units.itertuples(index=False)
        ]  # fmt: skip
        return shown(found, EVIDENCE, lang)
    phone = text(row["phone"])
    # the customer page's story, in its order, whole: the evidence is built for the director only
    told = customer_story(results, LOCAL, phone, lang)
    events = story.customer_events(results, phone)
    sheets, holders, marks = {}, {}, {}
    reasons = reasons_of(results)
    frames = {"registration": results.registrations, "lead": results.leads, "visit": results.visits,
              "deal": results.commissions, "clawback": results.commissions}  # fmt: skip
    for event, frame in frames.items():
        mine = frame[frame["phone"] == phone]
        for r in mine.itertuples(index=False):
            key = (event, int(r.upload_id), int(r.row_no))
            sheets[key] = text(r.sheet)
            holders[key] = text(getattr(r, "claim_kam", ""))
            marks[key] = getattr(r, "adjudication", None)
    extra = []
    for e, status in zip(events.itertuples(index=False), told.iloc[:, 3], strict=True):
        key = (e.event, int(e.upload_id), int(e.row_no))
        extra.append(
            {
                "status": status_with_mark(status, marks.get(key), reasons, lang) if status else status,
                "claim_holder": holders.get(key, ""),
                "file": files.get(int(e.upload_id), ""),
                "sheet": sheets.get(key, ""),
                "row": str(int(e.row_no)),
            }
        )
    out = told.copy()
    out.iloc[:, 3] = [x["status"] for x in extra]
    for c in ("claim_holder", "file", "sheet", "row"):
        out[t(f"ui.col.{c}", lang)] = [x[c] for x in extra]
    return out


def claim_now(results: Results, kind: str, row: dict, lang: str) -> str:
    """Who holds the claim on the row's phone now (empty for a unit)."""
    return "" if kind == "unit" else claim_text(results, LOCAL, text(row["phone"]), lang)


def _totals(results: Results) -> dict[str, dict]:
    out = {}
    for s in results.summary.itertuples(index=False):
        out[s.kam] = {
            "team": s.team,
            "fines": s.fines_total,
            "commission": s.commission_total - s.clawback_total,
            "adjustments": s.adjustments_total,
            "net": s.net_total,
            "flag": s.flag,
        }
    return out


def whatif_table(
    before: Results, after: Results, lang: str, concerned: set[str] = frozenset()
) -> pd.DataFrame:
    """Per KAM concerned (named in ``concerned`` or with any figure changed), fines, commission (after clawbacks),
    adjustments, net and flag before → after the adjudication."""
    a, b = _totals(before), _totals(after)
    empty = {"team": "", "fines": ZERO, "commission": ZERO, "adjustments": ZERO, "net": ZERO, "flag": ""}
    found = []
    for kam in [*a, *(k for k in b if k not in a)]:
        x, y = a.get(kam, empty), b.get(kam, empty)
        if kam not in concerned and all(
            x[f] == y[f] for f in ("fines", "commission", "adjustments", "net", "flag")
        ):
            continue
        found.append(
            {"kam": kam, "team": x["team"] or y["team"],
             **{f"whatif_{f}_{w}": money(v[f]) for f in ("fines", "commission", "adjustments", "net") for w, v in (("now", x), ("new", y))},
             "whatif_flag_now": word("flag", x["flag"], lang) or "—",
             "whatif_flag_new": word("flag", y["flag"], lang) or "—"}
        )  # fmt: skip
    return shown(found, WHATIF, lang)


def week_change(before: Results, after: Results, kind: str, row: dict, lang: str) -> str:
    """The row's KAM-week before → after (lead, visit, unit): its three counts and its fine; empty for a deal or a
    week that is not shown."""
    if kind == "deal" or not text(row.get("kam")):
        return ""
    when = row.get("row_date") if kind == "unit" else row.get("row_at")
    if when is None or pd.isna(when):
        return ""
    day_of = pd.Timestamp(when).normalize()

    def week_row(results: Results):
        w = results.weekly[results.weekly["kam"] == row["kam"]]
        starts = w["week_start"].map(pd.Timestamp)
        hit = w[(starts <= day_of) & (day_of < starts + pd.Timedelta(days=7))]
        return None if hit.empty else hit.iloc[0]

    a, b = week_row(before), week_row(after)
    if a is None or b is None:
        return ""
    return t(
        "ui.disputes.whatif_week", lang, kam=row["kam"], week=a["week"],
        **{q: f"{int(a[q])} → {int(b[q])}" for q in ("units", "batches", "numbers")},
        fine=f"{money(a['fine'])} → {money(b['fine'])}",
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class WhatIf:
    """What accepting would change: per KAM concerned (whatif_table), and the row's KAM-week (week_change)."""

    table: pd.DataFrame
    week: str


def whatif(results: Results, store: Store, kind: str, row: dict, verdict: str, verdict_kam, lang: str) -> WhatIf:  # fmt: skip
    """What accepting would change: results now against results with the adjudication (engine.what_if), for the
    row's KAM, the KAM the verdict names and every KAM whose figures move, and the row's KAM-week."""
    after = what_if.with_adjudication(
        store, kind, row, verdict, text(verdict_kam) or None, rules=results.rule_versions, as_of=results.as_of
    )
    concerned = {k for k in (text(row.get("kam")), text(verdict_kam)) if k}
    return WhatIf(whatif_table(results, after, lang, concerned), week_change(results, after, kind, row, lang))
