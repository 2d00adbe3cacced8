"""What the dashboard pages show: display-ready frames, lookups, KPIs and what-if over Results (never imports streamlit).

Every frame a page shows comes from here with its column headers in the UI language, phone numbers
masked, money as ``¥1,234.00``, dates as ``YYYY-MM-DD`` and codes turned into words. Downloads use the
engine's export instead, so full numbers only ever leave in a workbook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from kam_metrics.contract.rules import Rules, RulesError, rules_from_dict
from kam_metrics.engine.assessment import QUOTAS
from kam_metrics.engine.report import Results, describe_problems, describe_warning
from kam_metrics.i18n import t
from kam_metrics.ingest.reader import UnreadableFile
from kam_metrics.ingest.store import IngestResult, Store

SAMPLE_DIR = Path(os.environ.get("KAM_SAMPLE") or Path(__file__).resolve().parents[2] / "data" / "sample")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_END_OF_DAY = dt.timedelta(hours=23, minutes=59, seconds=59)


# -- formatting ----------------------------------------------------------------------------------
def mask_phone(phone: object) -> str:
    """``13812345678`` → ``138****5678``; anything that is not an 11-digit number is shown as it is."""
    if phone is None or (not isinstance(phone, str) and pd.isna(phone)):
        return ""
    text = str(phone)
    if len(text) == 11 and text.isdigit():
        return f"{text[:3]}****{text[7:]}"
    return text


def mask_text(text: object) -> str:
    """Free text (a rejected row's raw values) with every mainland mobile number in it masked."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return _MOBILE.sub(r"\1****\3", str(text))


def money(value: object) -> str:
    """``Decimal('-1234.5')`` → ``-¥1,234.50``; missing → empty."""
    if value is None or (not isinstance(value, (str, Decimal)) and pd.isna(value)):
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def day(value: object) -> str:
    """A date or timestamp as ``YYYY-MM-DD``; missing → empty."""
    if value is None or (not isinstance(value, (str, dt.date)) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        return value
    return f"{value:%Y-%m-%d}"


def stamp(value: object, date_only: bool = False, seconds: bool = False) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM`` (``:SS`` when asked for or not zero), or just the date when date-only."""
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return ""
    if date_only or not isinstance(value, dt.datetime):
        return day(value)
    return f"{value:%Y-%m-%d %H:%M:%S}" if seconds or value.second else f"{value:%Y-%m-%d %H:%M}"


def _header(name: str, lang: str) -> str:
    return t(f"ui.col.{name}", lang)


def _shown(rows: list[dict], columns: list[str], lang: str) -> pd.DataFrame:
    """A display frame: ``columns`` in order, headers in the UI language."""
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = [
                v if isinstance(v, str) else "" if v is None or pd.isna(v) else str(v) for v in frame[c]
            ]
    return frame.rename(columns={c: _header(c, lang) for c in columns})


def _word(prefix: str, code: object, lang: str) -> str:
    if code is None or (not isinstance(code, str) and pd.isna(code)) or code == "":
        return ""
    return t(f"{prefix}.{code}", lang)


# -- sample data and uploads ---------------------------------------------------------------------
def sample_files(folder: Path | None = None) -> list[Path]:
    """The bundled demo workbooks in name order (written with kam_metrics.sample when the folder is empty)."""
    folder = Path(folder or SAMPLE_DIR)
    files = sorted(folder.glob("*.xlsx"))
    if not files:
        from kam_metrics.demo.sample import write_sample

        files = sorted(p for p in write_sample(folder) if p.suffix == ".xlsx")
    return files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_sample(uploads: pd.DataFrame, folder: Path | None = None) -> bool:
    """True when the store holds uploads and every one of them is a bundled sample file (by sha256)."""
    if uploads.empty:
        return False
    folder = Path(folder or SAMPLE_DIR)
    hashes = {_sha256(p) for p in sorted(folder.glob("*.xlsx"))}
    return bool(hashes) and set(uploads["sha256"]) <= hashes


def load_sample(
    store: Store, folder: Path | None = None, progress: Callable[[float, str], None] | None = None
) -> list[IngestResult]:
    """Ingest every sample workbook in name order; ``progress(fraction, file name)`` after each file."""
    files = sample_files(folder)
    results = []
    for i, path in enumerate(files):
        if progress:
            progress(i / len(files), path.name)
        results.append(store.ingest(path))
    if progress:
        progress(1.0, "")
    return results


def ingest_bytes(
    store: Store, name: str, data: bytes, progress: Callable[[float, str], None] | None = None
) -> IngestResult:
    """Store one uploaded file (its bytes under its own name; a CSV's name is its sheet name).

    Raises kam_metrics.reader.UnreadableFile when nothing of it can be read; then nothing is stored.
    """
    with tempfile.TemporaryDirectory(prefix="kam-upload-") as tmp:
        path = Path(tmp) / (Path(name).name or "upload")
        path.write_bytes(data)
        return store.ingest(path, name=name, progress=progress)


@dataclasses.dataclass
class UploadOutcome:
    """What became of one uploaded file: its IngestResult, or why nothing of it could be read."""

    file: str
    result: IngestResult | None = None
    error_code: str | None = None
    error_values: dict = dataclasses.field(default_factory=dict)


def try_ingest(
    store: Store, name: str, data: bytes, progress: Callable[[float, str], None] | None = None
) -> UploadOutcome:
    """ingest_bytes that turns an unreadable file into an outcome instead of an exception (other files
    of the same batch are still stored)."""
    try:
        return UploadOutcome(file=name, result=ingest_bytes(store, name, data, progress))
    except UnreadableFile as e:
        return UploadOutcome(file=name, error_code=e.code, error_values=dict(e.values))


def unreadable_text(outcome: UploadOutcome, lang: str) -> str:
    """One line naming the file and why it could not be read."""
    reason = t(f"unreadable.{outcome.error_code}", lang, **outcome.error_values)
    return t("ui.upload.unreadable", lang, file=outcome.file, reason=reason)


def upload_summary(result: IngestResult, lang: str) -> str:
    """``2026-W37_周报.xlsx: 6 sheets, 1,234 rows read, 1,230 accepted (12 duplicates), 4 rejected, 1 warning``."""
    total = {
        k: sum(getattr(c, k) for c in result.sheets)
        for k in ("read", "accepted", "duplicates", "rejected", "warnings")
    }
    return t("ui.upload.summary", lang, file=result.file, sheets=len(result.sheets), **total)


def sheet_counts(result: IngestResult, lang: str) -> pd.DataFrame:
    """Per recognised sheet of one upload: kind (as a word) and read / accepted / duplicates / rejected / warnings."""
    rows = [
        {
            "sheet": c.sheet,
            "kind": _word("kind", c.kind, lang),
            "read": c.read,
            "accepted": c.accepted,
            "duplicates": c.duplicates,
            "rejected": c.rejected,
            "warnings": c.warnings,
        }
        for c in result.sheets
    ]
    return _shown(rows, ["sheet", "kind", "read", "accepted", "duplicates", "rejected", "warnings"], lang)


def upload_notes(result: IngestResult, lang: str) -> list[str]:
    """Readable notes of one upload (sheets that were ignored, and why)."""
    return [t(key, lang, **values) for key, values in result.notes]


def upload_rejected(result: IngestResult, lang: str) -> pd.DataFrame:
    """Rejected rows of one upload with readable reasons; phone numbers in raw values masked."""
    rows = [
        {
            "sheet": r["sheet"],
            "row": r["row"],
            "reason": mask_text(describe_problems(r["problems"], lang)),
            "raw": _raw_text(r["raw"]),
        }
        for r in result.rejected
    ]
    return _shown(rows, ["sheet", "row", "reason", "raw"], lang)


def upload_warnings(result: IngestResult, lang: str) -> pd.DataFrame:
    """Warnings of one upload with readable reasons."""
    rows = [
        {
            "sheet": w["sheet"],
            "row": w["row"],
            "column": w["column"],
            "reason": mask_text(describe_warning(w["code"], w["column"], w.get("value"), lang)),
        }
        for w in result.warnings
    ]
    return _shown(rows, ["sheet", "row", "column", "reason"], lang)


def _raw_text(raw: object) -> str:
    try:
        values = json.loads(raw) if isinstance(raw, str) else dict(raw)
    except (TypeError, ValueError):
        return mask_text(raw)
    return mask_text("; ".join(f"{k}={'' if v is None else v}" for k, v in values.items()))


def ledger(uploads: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The uploads ledger as shown: number, file, time and counts, newest first."""
    rows = [
        {
            "upload_id": int(r.upload_id),
            "file": r.file_name,
            "uploaded_at": stamp(r.uploaded_at, seconds=True),
            "read": int(r.rows_read),
            "accepted": int(r.accepted),
            "duplicates": int(r.duplicates),
            "rejected": int(r.rejected),
            "warnings": int(r.warnings),
        }
        for r in uploads.itertuples(index=False)
    ]
    return _shown(
        rows,
        ["upload_id", "file", "uploaded_at", "read", "accepted", "duplicates", "rejected", "warnings"],
        lang,
    )


def upload_label(uploads: pd.DataFrame, upload_id: int) -> str:
    """``#3 · 2026-W39_周报.xlsx · 2026-11-27 06:15`` for a pick list."""
    row = uploads[uploads["upload_id"] == upload_id].iloc[0]
    return f"#{upload_id} · {row['file_name']} · {stamp(row['uploaded_at'], seconds=True)}"


def all_rejected(results: Results, lang: str) -> pd.DataFrame:
    """Every stored rejected row (all uploads) with readable reasons."""
    rows = [
        {
            "file": r.file,
            "sheet": r.sheet,
            "row": int(r.row),
            "reason": mask_text(describe_problems(r.problems, lang)),
            "raw": _raw_text(r.raw),
        }
        for r in results.rejected.itertuples(index=False)
    ]
    return _shown(rows, ["file", "sheet", "row", "reason", "raw"], lang)


# -- filters -------------------------------------------------------------------------------------
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


# -- overview ------------------------------------------------------------------------------------
def kpis(results: Results, week: str) -> dict:
    """Team figures of one week: per quota the count against the summed target, fines, commission of the
    month the week ends in, and the KAMs flagged that week.

    Returns {week, week_start, in_progress, kams, quotas: [{quota, count, target, rate}], fines, month,
    commission, net, flagged, warning, dismissal_review}.
    """
    rows = results.weekly[results.weekly["week"] == week]
    if rows.empty:
        raise KeyError(week)
    start = rows["week_start"].iloc[0]
    month = f"{start + dt.timedelta(days=6):%Y-%m}"
    quotas = []
    for q in QUOTAS:
        count = int(rows[q].sum())
        target = int(getattr(results.rules.targets, q)) * len(rows)
        quotas.append(
            {"quota": q, "count": count, "target": target, "rate": count / target if target else 1.0}
        )
    months = results.statement[results.statement["month"] == month]
    flags = rows["flag"].tolist()
    return {
        "week": week,
        "week_start": start,
        "in_progress": bool(rows["in_progress"].iloc[0]),
        "kams": len(rows),
        "met": int(rows["met"].sum()),
        "quotas": quotas,
        "fines": sum(rows["fine"], Decimal("0.00")),
        "month": month,
        "commission": sum(months["commission"], Decimal("0.00")),
        "net": sum(months["net"], Decimal("0.00")),
        "flagged": sum(1 for f in flags if f),
        "warning": flags.count("warning"),
        "dismissal_review": flags.count("dismissal_review"),
    }


def _until(results: Results, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    if results.as_of is None or frame.empty:
        return frame
    return frame[frame[column] < pd.Timestamp(results.as_of + dt.timedelta(days=1))]


def funnel(results: Results, lang: str) -> pd.DataFrame:
    """Leads → valid leads → valid visits → attributed deals, over every row dated up to as_of."""
    leads = _until(results, results.leads, "reported_at")
    visits = _until(results, results.visits, "visited_at")
    deals = _until(results, results.commissions, "signed_at")
    deals = deals[(deals["line"] == "commission") & (deals["type"] != "unattributed")]
    counts = {
        "leads": len(leads),
        "valid_leads": int((leads["status"] == "valid").sum()),
        "valid_visits": int((visits["status"] == "valid").sum()),
        "deals": len(deals),
    }
    return pd.DataFrame(
        {"stage": [t(f"ui.funnel.{k}", lang) for k in counts], "count": list(counts.values())}
    )


def short_week(week: str) -> str:
    """An axis label: ``2026-W37`` → ``W37``, ``2026-11-24`` → ``11-24``."""
    return week[5:] if len(week) > 5 else week


def trend(results: Results, lang: str) -> pd.DataFrame:
    """Per week and quota the team's count and the summed target: columns week, label (short week name),
    quota, series, value."""
    if results.weekly.empty:
        return pd.DataFrame(columns=["week", "label", "quota", "series", "value"])
    rows = []
    for (week, _start), group in results.weekly.groupby(["week", "week_start"], sort=False):
        for q in QUOTAS:
            label = t(f"ui.col.{q}", lang)
            target = int(getattr(results.rules.targets, q)) * len(group)
            common = {"week": week, "label": short_week(week), "quota": label}
            rows.append({**common, "series": t("ui.series.count", lang), "value": int(group[q].sum())})
            rows.append({**common, "series": t("ui.series.target", lang), "value": target})
    frame = pd.DataFrame(rows)
    order = {w: i for i, w in enumerate(weeks(results))}
    return frame.sort_values("week", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


# -- weekly --------------------------------------------------------------------------------------
def heatmap(results: Results, lang: str) -> pd.DataFrame:
    """One row per KAM-week: kam, week, state (met / missed / in_progress), state word and hover text."""
    rows = []
    for r in results.weekly.itertuples(index=False):
        state = "in_progress" if r.in_progress else "met" if r.met else "missed"
        counts = " · ".join(
            f"{t(f'ui.col.{q}', lang)} {getattr(r, q)}/{getattr(results.rules.targets, q)}" for q in QUOTAS
        )
        hover = f"{r.kam} · {r.week}<br>{t(f'ui.state.{state}', lang)}<br>{counts}<br>{t('ui.col.fine', lang)} {money(r.fine)}"
        if r.flag:
            hover += f"<br>{t(f'flag.{r.flag}', lang)} ({t('ui.streak', lang, n=r.missed_streak)})"
        rows.append(
            {
                "kam": r.kam,
                "week": r.week,
                "state": state,
                "state_label": t(f"ui.state.{state}", lang),
                "hover": hover,
            }
        )
    return pd.DataFrame(rows, columns=["kam", "week", "state", "state_label", "hover"])


def weekly_table(results: Results, lang: str) -> pd.DataFrame:
    """The KAM × week rows as shown: counts, shortfalls, fine, met, streak and flag in words."""
    rows = [
        {
            "kam": r.kam,
            "team": r.team,
            "week": r.week,
            "units": r.units,
            "batches": r.batches,
            "numbers": r.numbers,
            "fine": money(r.fine),
            "met": t("ui.state.in_progress" if r.in_progress else "ui.yes" if r.met else "ui.no", lang),
            "missed_streak": r.missed_streak,
            "flag": _word("flag", r.flag, lang),
        }
        for r in results.weekly.itertuples(index=False)
    ]
    return _shown(
        rows,
        ["kam", "team", "week", "units", "batches", "numbers", "fine", "met", "missed_streak", "flag"],
        lang,
    )


def flagged(results: Results, lang: str) -> pd.DataFrame:
    """KAMs whose last assessed week carries a warning or a dismissal review, longest streak first."""
    frame = results.summary[results.summary["flag"] != ""].sort_values(
        ["missed_streak", "kam"], ascending=[False, True]
    )
    rows = [
        {"kam": r.kam, "team": r.team, "flag": _word("flag", r.flag, lang), "missed_streak": r.missed_streak}
        for r in frame.itertuples(index=False)
    ]
    return _shown(rows, ["kam", "team", "flag", "missed_streak"], lang)


def _week_bounds(results: Results, week: str) -> tuple[dt.date, dt.date]:
    rows = results.weekly[results.weekly["week"] == week]
    if rows.empty:
        raise KeyError(week)
    start = rows["week_start"].iloc[0]
    return start, start + dt.timedelta(days=7)


def _in_week(frame: pd.DataFrame, column: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    ts = pd.to_datetime(frame[column])
    return frame[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))]


def _first_registration(results: Results) -> dict[str, object]:
    regs = results.registrations
    if regs.empty:
        return {}
    first = regs.sort_values("registered_at").drop_duplicates("phone")
    return dict(zip(first["phone"], first["registered_at"], strict=True))


def _lead_why(r, first_reg: dict, lang: str) -> str:
    if r.status == "registry_overlap":
        return t("ui.why.registry_overlap", lang, at=stamp(first_reg.get(r.phone)))
    if r.status == "owned_by_other":
        return t("ui.why.owned_by_other", lang, kam=r.claim_kam or "")
    if r.status == "duplicate_own":
        return t("ui.why.duplicate_own", lang)
    return t("ui.why.lead_valid", lang)


def _visit_why(r, lang: str) -> str:
    if r.status == "no_valid_claim":
        if isinstance(r.claim_kam, str) and r.claim_kam:
            return t("ui.why.no_valid_claim_other", lang, kam=r.claim_kam)
        return t("ui.why.no_valid_claim", lang)
    if r.status == "valid":
        return t("ui.why.visit_valid", lang, salesperson=r.salesperson or "")
    return t(f"ui.why.{r.status}", lang)


def kam_week(results: Results, kam: str, week: str, lang: str) -> dict:
    """Everything behind one KAM-week: the week's row and the units, leads and visits it counted or refused.

    Returns {row: dict of the weekly row (raw values) or None, quotas: frame (quota, count, target,
    shortfall), units, leads, visits: display frames}. Raises KeyError for a week not shown.
    """
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
    first_reg = _first_registration(results)
    units = _in_week(results.units[results.units["kam"] == kam], "date", start, end)
    leads = _in_week(results.leads[results.leads["kam"] == kam], "reported_at", start, end)
    visits = _in_week(results.visits[results.visits["kam"] == kam], "visited_at", start, end)
    return {
        "row": row,
        "quotas": _shown(quota_rows, ["quota", "count", "target", "shortfall", "fine"], lang),
        "units": _shown(
            [
                {
                    "date": stamp(r.date, r.date_date_only),
                    "unit_name": r.unit_name,
                    "status": _word("status", r.status, lang),
                    "why": t(f"ui.why.unit_{r.status}", lang),
                }
                for r in units.itertuples(index=False)
            ],
            ["date", "unit_name", "status", "why"],
            lang,
        ),
        "leads": _shown(
            [
                {
                    "reported_at": stamp(r.reported_at, r.reported_at_date_only),
                    "phone": mask_phone(r.phone),
                    "customer_name": r.customer_name,
                    "status": _word("status", r.status, lang),
                    "why": _lead_why(r, first_reg, lang),
                }
                for r in leads.itertuples(index=False)
            ],
            ["reported_at", "phone", "customer_name", "status", "why"],
            lang,
        ),
        "visits": _shown(
            [
                {
                    "visited_at": stamp(r.visited_at, r.visited_at_date_only),
                    "phone": mask_phone(r.phone),
                    "customer_name": r.customer_name,
                    "salesperson": r.salesperson,
                    "status": _word("status", r.status, lang),
                    "why": _visit_why(r, lang),
                }
                for r in visits.itertuples(index=False)
            ],
            ["visited_at", "phone", "customer_name", "salesperson", "status", "why"],
            lang,
        ),
    }


# -- attribution ---------------------------------------------------------------------------------
def find_customers(results: Results, query: str) -> list[str]:
    """Phone numbers whose digits contain ``query``'s digits (3 or more), or whose customer name contains
    ``query``; searched over registrations, leads, visits and deals. Full numbers, sorted."""
    text = (query or "").strip()
    if not text:
        return []
    digits = re.sub(r"\D", "", text)
    frames = [
        results.registrations[["phone", "customer_name"]],
        results.leads[["phone", "customer_name"]],
        results.visits[["phone", "customer_name"]],
        results.commissions[["phone", "customer_name"]],
    ]
    found: set[str] = set()
    for frame in frames:
        if len(digits) >= 3 and len(digits) * 2 >= len(text.replace(" ", "").replace("-", "")):
            hit = frame["phone"].astype(str).str.contains(digits, regex=False)
        else:
            hit = frame["customer_name"].fillna("").astype(str).str.contains(text, regex=False)
        found.update(str(p) for p in frame.loc[hit, "phone"])
    return sorted(found)


def customer_label(results: Results, phone: str) -> str:
    """``138****5678 · 王建国 / 王先生`` (masked number and every name seen for it)."""
    names: list[str] = []
    for frame in (results.registrations, results.leads, results.visits, results.commissions):
        for name in frame.loc[frame["phone"] == phone, "customer_name"]:
            if isinstance(name, str) and name and name not in names:
                names.append(name)
    return mask_phone(phone) + (" · " + " / ".join(names[:4]) if names else "")


def customer_story(results: Results, phone: str, lang: str) -> pd.DataFrame:
    """Everything that happened to one phone number, in time order: registrations, leads (who, status,
    why), visits, deals and clawbacks. Columns: time, event, kam, status, detail (headers in ``lang``)."""
    events: list[tuple] = []  # (sort time, order within a time, row)
    first_reg = _first_registration(results)
    for r in results.registrations[results.registrations["phone"] == phone].itertuples(index=False):
        at = r.registered_at + (
            _END_OF_DAY - dt.timedelta(seconds=1) if r.registered_at_date_only else dt.timedelta()
        )
        detail = t("ui.story.registration", lang, name=r.customer_name or "", salesperson=r.salesperson or "")
        if isinstance(r.source, str) and r.source:
            detail += f" · {r.source}"
        events.append(
            (at, 1, stamp(r.registered_at, r.registered_at_date_only), "registration", "", "", detail)
        )
    for r in results.leads[results.leads["phone"] == phone].itertuples(index=False):
        events.append(
            (
                r.reported_at,
                0,
                stamp(r.reported_at, r.reported_at_date_only),
                "lead",
                r.kam,
                _word("status", r.status, lang),
                _lead_why(r, first_reg, lang),
            )
        )
    for r in results.visits[results.visits["phone"] == phone].itertuples(index=False):
        at = r.visited_at + (
            _END_OF_DAY - dt.timedelta(seconds=1) if r.visited_at_date_only else dt.timedelta()
        )
        events.append(
            (
                at,
                2,
                stamp(r.visited_at, r.visited_at_date_only),
                "visit",
                r.kam,
                _word("status", r.status, lang),
                _visit_why(r, lang),
            )
        )
    for r in results.commissions[results.commissions["phone"] == phone].itertuples(index=False):
        kam = r.kam if isinstance(r.kam, str) else ""
        if r.line == "commission":
            at = pd.Timestamp(r.signed_date) + _END_OF_DAY
            shown = day(r.signed_date)
            detail = t(
                "ui.story.deal",
                lang,
                property=r.property,
                salesperson=r.salesperson,
                amount=money(r.kam_commission),
            )
            if r.type == "unattributed":
                detail = f"{r.property} · {_word('reason', r.reason, lang)}"
            events.append((at, 3, shown, "deal", kam, _word("type", r.type, lang), detail))
        else:
            cancelled = r.cancelled_at if not pd.isna(r.cancelled_at) else r.signed_at
            at = pd.Timestamp(cancelled) + _END_OF_DAY
            detail = t("ui.story.clawback", lang, property=r.property, amount=money(r.kam_commission))
            events.append((at, 4, day(cancelled), "clawback", kam, _word("line", "clawback", lang), detail))
    events.sort(key=lambda e: (pd.Timestamp(e[0]), e[1]))
    rows = [
        {"time": e[2], "event": t(f"ui.event.{e[3]}", lang), "kam": e[4], "status": e[5], "detail": e[6]}
        for e in events
    ]
    return _shown(rows, ["time", "event", "kam", "status", "detail"], lang)


def claim_now(results: Results, phone: str) -> dict | None:
    """Who holds the claim on ``phone`` at the end of as_of, and since which lead.

    Returns {kam, since (timestamp), since_date_only, lapses (date or None)} or None when nobody does.
    """
    claims = results.claims[results.claims["phone"] == phone]
    if claims.empty:
        return None
    end = None
    if results.as_of is not None:
        end = pd.Timestamp(results.as_of + dt.timedelta(days=1)).timestamp()
    held = None
    for c in claims.sort_values("start_k").itertuples(index=False):
        lapse = None if pd.isna(c.lapse_ts) else float(c.lapse_ts)
        if end is None or lapse is None or end <= lapse:
            held = (c, lapse)
    if held is None:
        return None
    c, lapse = held
    lead = results.leads[(results.leads["phone"] == phone) & (results.leads["k"] == c.start_k)]
    since = lead["reported_at"].iloc[0] if len(lead) else None
    date_only = bool(lead["reported_at_date_only"].iloc[0]) if len(lead) else False
    lapses = dt.datetime.fromtimestamp(lapse, dt.UTC).date() if lapse is not None else None
    return {"kam": c.kam, "since": since, "since_date_only": date_only, "lapses": lapses}


def claim_text(results: Results, phone: str, lang: str) -> str:
    """One sentence: who holds the claim on ``phone`` and why, or that nobody does."""
    claim = claim_now(results, phone)
    if claim is None:
        return t("ui.claim.none", lang)
    text = t("ui.claim.held", lang, kam=claim["kam"], at=stamp(claim["since"], claim["since_date_only"]))
    if claim["lapses"] is None:
        return text + t("ui.claim.forever", lang)
    return text + t("ui.claim.until", lang, date=day(claim["lapses"]))


def refusals(results: Results, lang: str) -> pd.DataFrame:
    """Per KAM, how many leads and visits were refused for each reason (status word).

    Columns: kam, what (leads / visits as words), reason, count. Valid rows are left out.
    """
    rows = []
    for what, frame in (("leads", results.leads), ("visits", results.visits)):
        refused = frame[frame["status"] != "valid"]
        if refused.empty:
            continue
        counts = refused.groupby(["kam", "status"], sort=True).size()
        for (kam, status), n in counts.items():
            rows.append(
                {
                    "kam": kam,
                    "what": t(f"kind.{what}", lang),
                    "reason": t(f"status.{status}", lang),
                    "count": int(n),
                }
            )
    return pd.DataFrame(rows, columns=["kam", "what", "reason", "count"])


# -- commissions ---------------------------------------------------------------------------------
def months(results: Results) -> list[str]:
    """Months that hold a statement line, oldest first."""
    return sorted({str(m) for m in results.statement["month"]})


def statement_table(results: Results, month: str | None, lang: str) -> pd.DataFrame:
    """The monthly statement per KAM (all months summed when ``month`` is None), money as words."""
    frame = results.statement if month is None else results.statement[results.statement["month"] == month]
    rows = []
    for kam in kam_names(results):
        lines = frame[frame["kam"] == kam]
        if lines.empty:
            continue
        sums = {c: sum(lines[c], Decimal("0.00")) for c in ("commission", "clawback", "fines", "net")}
        rows.append(
            {
                "kam": kam,
                "team": lines["team"].iloc[0],
                **{c: money(v) for c, v in sums.items()},
            }
        )
    return _shown(rows, ["kam", "team", "commission", "clawback", "fines", "net"], lang)


def statement_totals(results: Results, month: str | None) -> dict[str, Decimal]:
    """Team totals of the statement: commission, clawback, fines, net."""
    frame = results.statement if month is None else results.statement[results.statement["month"] == month]
    return {c: sum(frame[c], Decimal("0.00")) for c in ("commission", "clawback", "fines", "net")}


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
            "kam": r.kam if isinstance(r.kam, str) else "",
            "signed_at": day(r.signed_date),
            "customer_name": r.customer_name if isinstance(r.customer_name, str) else "",
            "phone": mask_phone(r.phone),
            "property": r.property,
            "salesperson": r.salesperson,
            "salesperson_commission": money(r.salesperson_commission),
            "type": _word("type", r.type, lang),
            "reason": _word("reason", r.reason, lang),
            "line": _word("line", r.line, lang),
            "kam_commission": money(r.kam_commission),
            "salesperson_net": money(r.salesperson_net),
        }
        for r in frame.itertuples(index=False)
    ]
    return _shown(
        rows,
        [
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
        ],
        lang,
    )


# -- rules ---------------------------------------------------------------------------------------
def rules_from_form(values: dict[str, object]) -> Rules:
    """Rules from the form's flat values (``targets.units`` → 3 …); ``excused_weeks`` may be text with
    commas or spaces. Raises RulesError naming the key."""
    data: dict[str, object] = {}
    for key, value in values.items():
        if key == "excused_weeks" and isinstance(value, str):
            value = [p for p in re.split(r"[\s,，;；、]+", value) if p]
        if isinstance(value, float) and value.is_integer() and not key.startswith("commission.visit_share"):
            value = int(value)
        parent, _, leaf = key.rpartition(".")
        target = data.setdefault(parent, {}) if parent else data
        if not isinstance(target, dict):
            raise RulesError(f"{key}: not a table")
        target[leaf] = value
    return rules_from_dict(data)


def rules_error_lines(error: RulesError, lang: str) -> list[str]:
    """Each problem of a RulesError as ``label (key): message``."""
    lines = []
    for part in str(error).split("; "):
        key, sep, message = part.partition(": ")
        if not sep:
            lines.append(part)
            continue
        label = t(f"ui.rule.{key}", lang)
        lines.append(f"{label} ({key}): {message}" if label != f"ui.rule.{key}" else part)
    return lines


def rules_changes(current: Rules, edited: Rules, lang: str) -> pd.DataFrame:
    """The rule keys whose value differs: key (as a word), current value, edited value."""
    old = dict(current.flat())
    rows = [
        {"rule": f"{t(f'ui.rule.{k}', lang)} ({k})", "current": old.get(k, ""), "edited": v}
        for k, v in edited.flat()
        if old.get(k) != v
    ]
    return _shown(rows, ["rule", "current", "edited"], lang)


def whatif(current: Results, edited: Results, lang: str) -> pd.DataFrame:
    """Per KAM, fines, commission, net and flag under the current and the edited rules, side by side."""
    now = current.summary.set_index("kam")
    new = edited.summary.set_index("kam")
    rows = []
    for kam in current.summary["kam"]:
        a = now.loc[kam]
        b = new.loc[kam] if kam in new.index else None

        def get(row, col, zero=Decimal("0.00")):
            return row[col] if row is not None else zero

        fines_a, fines_b = a["fines_total"], get(b, "fines_total")
        comm_a, comm_b = (
            a["commission_total"] - a["clawback_total"],
            get(b, "commission_total") - get(b, "clawback_total"),
        )
        rows.append(
            {
                "kam": kam,
                "team": a["team"],
                "fines_now": money(fines_a),
                "fines_new": money(fines_b),
                "fines_delta": money(fines_b - fines_a),
                "commission_now": money(comm_a),
                "commission_new": money(comm_b),
                "commission_delta": money(comm_b - comm_a),
                "flag_now": _word("flag", a["flag"], lang) or "—",
                "flag_new": _word("flag", get(b, "flag", ""), lang) or "—",
            }
        )
    return _shown(
        rows,
        [
            "kam",
            "team",
            "fines_now",
            "fines_new",
            "fines_delta",
            "commission_now",
            "commission_new",
            "commission_delta",
            "flag_now",
            "flag_new",
        ],
        lang,
    )


def whatif_totals(current: Results, edited: Results) -> dict[str, Decimal | int]:
    """Team totals under both rule sets: fines, commission (after clawbacks) and flagged KAMs."""

    def totals(r: Results) -> dict:
        s = r.summary
        return {
            "fines": sum(s["fines_total"], Decimal("0.00")),
            "commission": sum(s["commission_total"], Decimal("0.00"))
            - sum(s["clawback_total"], Decimal("0.00")),
            "flagged": int((s["flag"] != "").sum()),
        }

    a, b = totals(current), totals(edited)
    return {f"{k}_now": v for k, v in a.items()} | {f"{k}_new": v for k, v in b.items()}
