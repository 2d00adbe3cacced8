"""The benchmark's measured steps, each run in its own process by bench/run.py: reads, ingest, compute, export, pages."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

# step -> (group, input set, ratio reference step or None)
STEPS: dict[str, tuple[str, str, str | None]] = {
    "read_fastexcel": ("read", "weeks", None),
    "read_pandas": ("read", "weeks", "read_fastexcel"),
    "read_single_fastexcel": ("read", "single", None),
    "read_single_pandas": ("read", "single", "read_single_fastexcel"),
    "ingest": ("ingest", "weeks", "read_fastexcel"),
    "ingest_single": ("ingest", "single", "read_single_fastexcel"),
    "recompute": ("recompute", "weeks", "read_fastexcel"),
    "recompute_p30": ("recompute", "weeks", "read_fastexcel"),
    "recompute_v12": ("recompute", "weeks", "read_fastexcel"),
    "recompute_v12_p30": ("recompute", "weeks", "read_fastexcel"),
    "export": ("export", "weeks", "read_fastexcel"),
    "pages": ("pages", "weeks", None),
    # issue 14's peer: the same work as a careful analyst writes it with pandas + openpyxl (bench/peer.py)
    "peer_ingest": ("peer", "weeks", "read_fastexcel"),
    "peer_recompute": ("peer", "weeks", "read_fastexcel"),
}
PANDAS_STEPS = {"read_pandas", "read_single_pandas", "peer_ingest", "peer_recompute"}
NEEDS_STORE = {"recompute", "recompute_p30", "recompute_v12", "recompute_v12_p30", "export", "pages"}
ENGINE_STEPS = NEEDS_STORE | {"ingest", "ingest_single"}
# SPEC §9 and §8 in the benchmark store (issue 9's speed target): months closed and adjudications per kind
V12_CLOSED_MONTHS = 3
V12_ADJUDICATIONS_PER_KIND = 25  # leads, visits, units and deals: 100 in all
LANG = "zh"  # the pages' and the export's default language


def peak_rss_mb() -> float:
    """Peak RSS of this process and its children (getrusage ru_maxrss; KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _rss_now_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_step(step: str, files: list[Path], work: Path) -> dict:
    """Run one step on ``files`` (stores and outputs under ``work``): its seconds, peak RSS and step facts."""
    extra: dict = {}
    if step in ("read_fastexcel", "read_single_fastexcel"):
        seconds, extra["rows_read"] = _read_fastexcel(files)
    elif step in ("peer_ingest", "peer_recompute"):
        seconds, extra = _peer(step, files, work)
    elif step in PANDAS_STEPS:
        seconds, extra["rows_read"] = _read_pandas(files)
    elif step in ("ingest", "ingest_single"):
        seconds, extra["db_mb"] = _ingest(files, work / f"{'weeks' if step == 'ingest' else 'single'}.duckdb")
    elif step in ("recompute", "recompute_p30", "recompute_v12", "recompute_v12_p30"):
        v12 = step.startswith("recompute_v12")
        if v12:
            extra["v12"] = _v12_store(work)  # untimed: prepared once, on a copy of the store
        store = _open_store(work, V12_DB if v12 else WEEKS_DB)
        t0 = time.perf_counter()
        _compute(store, protection_days=30 if step.endswith("_p30") else 0)
        seconds = time.perf_counter() - t0
        store.close()
    elif step == "export":
        seconds, extra = _export(work)
    elif step == "pages":
        extra["pages"] = _pages(work)
        seconds = sum(p["cold"] for p in extra["pages"])
    else:
        raise SystemExit(f"unknown step {step}")
    return {"status": "ok", "seconds": seconds, "peak_rss_mb": round(peak_rss_mb(), 1), **extra}


def _read_fastexcel(files: list[Path]) -> tuple[float, int]:
    import fastexcel

    t0 = time.perf_counter()
    rows = 0
    for path in files:
        reader = fastexcel.read_excel(path)
        for i in range(len(reader.sheet_names)):
            rows += reader.load_sheet(i, header_row=None, skip_rows=0, dtypes="string").to_arrow().num_rows
    return time.perf_counter() - t0, rows


def _read_pandas(files: list[Path]) -> tuple[float, int]:
    import pandas

    t0 = time.perf_counter()
    rows = 0
    for path in files:
        frames = pandas.read_excel(path, sheet_name=None, engine="openpyxl")
        rows += sum(len(f) + 1 for f in frames.values())
    return time.perf_counter() - t0, rows


def _ingest(files: list[Path], db: Path) -> tuple[float, float | None]:
    from kam_metrics.ingest.store import Store

    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    store = Store(db)
    for path in files:
        store.ingest(path)
    store.close()
    seconds = time.perf_counter() - t0
    return seconds, round(db.stat().st_size / 2**20, 1) if db.exists() else None


def _export(work: Path) -> tuple[float, dict]:
    from kam_metrics.export.workbook import write_workbook

    store = _open_store(work)
    results = _compute(store)
    out = work / "results.xlsx"
    extra = {"rss_before_mb": round(_rss_now_mb(), 1)}
    t0 = time.perf_counter()
    write_workbook(results, out, lang=LANG)
    seconds = time.perf_counter() - t0
    extra["xlsx_mb"] = round(out.stat().st_size / 2**20, 2)
    store.close()
    return seconds, extra


def _peer(step: str, files: list[Path], work: Path) -> tuple[float, dict]:
    """The peer's ingest (read, clean, de-duplicate; kept as a pickle as an analyst keeps a combined frame) or
    its recompute from that pickle (prepared untimed when missing)."""
    import pickle

    from bench import peer

    kept = work / "peer.pickle"
    if step == "peer_ingest" or not kept.exists():
        t0 = time.perf_counter()
        data = peer.ingest(files)
        kept.write_bytes(pickle.dumps(data))
        seconds = time.perf_counter() - t0
        if step == "peer_ingest":
            return seconds, {"rows": sum(len(f) for f in data.values())}
    data = pickle.loads(kept.read_bytes())
    t0 = time.perf_counter()
    results = peer.recompute(data)
    seconds = time.perf_counter() - t0
    return seconds, {"valid_leads": int((results["leads"]["status"] == "valid").sum())}


WEEKS_DB = "weeks.duckdb"
V12_DB = "weeks-v12.duckdb"


def _open_store(work: Path, name: str = WEEKS_DB):
    """The store the untimed ingest of the weekly set prepared (run.py runs it before any NEEDS_STORE step)."""
    from kam_metrics.ingest.store import Store

    db = work / name
    if not db.exists():
        raise FileNotFoundError(f"no ingested store at {db}")
    return Store(db)


def _compute(store, protection_days: int = 0, rules=None):
    from kam_metrics.contract.rules import Rules
    from kam_metrics.engine import report

    if rules is None:
        rules = Rules(protection_days=protection_days) if protection_days else Rules()
    return report.compute(store, rules, as_of=None)


# -- v1.2: closes and adjudications ----------------------------------------------------------------------
# A copy of the ingested store with the first months closed and 100 adjudications made after the closes, so
# the compute also reads the frozen items and explains the adjustments the adjudications cause (SPEC §8, §9).


def _v12_store(work: Path) -> dict:
    """Prepare work/V12_DB once (later runs and the p30 step reuse it); its facts: closed months, adjudications."""
    import json
    import shutil

    facts_file = work / (V12_DB + ".json")
    if facts_file.exists():
        return json.loads(facts_file.read_text())
    db = work / V12_DB
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.copyfile(work / WEEKS_DB, db)
    from kam_metrics.ingest.store import Store

    t0 = time.perf_counter()
    store = Store(db)
    try:
        facts = {"closed": _close_first_months(store), "adjudications": _adjudicate_sample(store)}
    finally:
        store.close()
    facts["prepare_seconds"] = round(time.perf_counter() - t0, 1)
    facts_file.write_text(json.dumps(facts))
    return facts


def _close_first_months(store) -> list[str]:
    """Close the first V12_CLOSED_MONTHS months with statement rows, in order, each as of its last day."""
    from kam_metrics.engine import close as period_close
    from kam_metrics.ingest import closes

    months = sorted(set(_compute(store).statement["month"].tolist()))[:V12_CLOSED_MONTHS]
    for month in months:
        closes.close_month(store, month, by="bench", as_of=period_close.month_end(month))
    return months


def _adjudicate_sample(store) -> dict[str, int]:
    """V12_ADJUDICATIONS_PER_KIND adjudications of each kind on stored rows spread evenly over the store (every
    k-th row in upload order), verdicts alternating between a refusal and valid (a deal: to another KAM, or
    unattributed). Returns the count per kind."""
    from kam_metrics.contract import codes
    from kam_metrics.ingest import decisions

    per = V12_ADJUDICATIONS_PER_KIND
    queries = {
        "lead": "select kam, phone, reported_at from leads",
        "visit": "select kam, phone, visited_at from visits",
        "unit": "select kam, date, unit_name from units",
        "deal": "select phone, property, signed_at from deals",
    }
    cur = store.cursor()
    kams = [
        r[0]
        for r in cur.execute("select distinct kam from leads where kam is not null order by kam").fetchall()
    ]
    picked = {}
    for kind, query in queries.items():
        rows = cur.execute(
            f"""select * exclude (n, i) from (
                  select *, row_number() over (order by upload_id, sheet, row_no) - 1 as i, count(*) over () as n
                  from ({query.replace("select ", "select upload_id, sheet, row_no, ", 1)}))
                where i % greatest(n // {per}, 1) = 0 order by i limit {per}"""
        ).fetchall()
        picked[kind] = [r[3:] for r in rows]
    cur.close()
    refusal = {"lead": "owned_by_other", "visit": "not_first_visit", "unit": "no_photo"}
    made = {}
    for kind, rows in picked.items():
        for j, row in enumerate(rows):
            if kind == "deal":
                verdict = "unattributed" if j % 2 else "lead_deal"
                kam = None if j % 2 else kams[j % len(kams)]
                key = dict(zip(("phone", "property", "signed"), row, strict=True))
            else:
                verdict, kam = (codes.VALID if j % 2 else refusal[kind]), None
                names = ("kam", "date", "unit") if kind == "unit" else ("kam", "phone", "at")
                key = dict(zip(names, row, strict=True))
            decisions.adjudicate(
                store, kind, verdict=verdict, verdict_kam=kam, reason="bench", by="bench", **key
            )
        made[kind] = len(rows)
    return made


# -- pages ------------------------------------------------------------------------------------------
# Each page's default render, timed cold (first call) and warm (median of 3 more). Streamlit caches the
# Results per data version (dashboard/state.py: st.cache_resource), so the compute is not part of a page.


def _pages(work: Path) -> list[dict]:
    store = _open_store(work)
    results = _compute(store)
    pages = []
    for name, call in page_calls(store, results):
        t0 = time.perf_counter()
        call()
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(3):
            t0 = time.perf_counter()
            call()
            warm.append(time.perf_counter() - t0)
        pages.append({"name": name, "cold": cold, "warm": statistics.median(warm)})
    store.close()
    return pages


def page_calls(store, results) -> list[tuple[str, Callable[[], object]]]:
    """(page, call): what every page reads from the store, then each page's presentation call."""

    def common():  # the sidebar and banner of every page: uploads ledger and data version
        return store.uploads(), store.version()

    from kam_metrics.access.roles import KAM, LOCAL, Viewer
    from kam_metrics.present import PAGES, check, customer, mine, upload, weekly
    from kam_metrics.present.common import kam_names, weeks

    # Every page as the director sees it (local mode: the same calls as before accounts existed); 我的 is a
    # KAM's page only, so it is timed for the first KAM.
    calls = [("common", common)]
    calls += [
        (name, (lambda render=render: render(results, LOCAL, LANG)))
        for name, render in PAGES.items()
        if name in LOCAL.pages
    ]
    # The upload page shows the ledger; the drill-downs a director opens most: a KAM-week and a customer.
    calls.append(("upload+ledger", lambda: upload.view(results, LOCAL, LANG, uploads=store.uploads())))
    # the first KAM and the last week as the weekly page lists them, without calling the page (that would warm it)
    kams, shown_weeks = kam_names(results), weeks(results)
    if kams and shown_weeks:
        kam, week = kams[0], shown_weeks[-1]
        calls.append(("weekly+kam_week", lambda: weekly.view(results, LOCAL, LANG, kam=kam, week=week)))
        own = Viewer(login="bench-kam", role=KAM, kam=kam)
        calls.append(("mine", lambda: mine.view(results, own, LANG)))
    if len(results.leads):
        phone = results.leads["phone"].iloc[len(results.leads) // 2]
        calls.append(("customer+story", lambda: customer.view(results, LOCAL, LANG, phone=phone)))
        calls.append(("check+phone", lambda: check.view(results, LOCAL, phone, LANG)))
    calls += _role_calls(store, results, kams[0] if kams else None)
    return calls


def _role_calls(store, results, kam: str | None) -> list[tuple[str, Callable[[], object]]]:
    """A KAM's and a team lead's calls: their scope, then each of their pages (the KAM: the first KAM, the team
    lead: that KAM's team), 查重 empty and with one of the KAM's own phones."""
    from kam_metrics.access.roles import KAM, TEAM_LEAD, Viewer
    from kam_metrics.access.roles import PAGES as ROLE_PAGES
    from kam_metrics.access.scope import scope
    from kam_metrics.present import PAGES, check, disputes

    if kam is None:
        return []
    kams = results.kams
    team = kams.loc[kams["kam"] == kam, "team"]
    viewers = [(KAM, Viewer(login="bench-kam-own", role=KAM, kam=kam))]
    if len(team) and isinstance(team.iloc[0], str):
        viewers.append((TEAM_LEAD, Viewer(login="bench-lead", role=TEAM_LEAD, team=team.iloc[0])))
    leads = results.leads
    own = leads.loc[leads["kam"] == kam, "phone"]
    calls: list[tuple[str, Callable[[], object]]] = []
    for role, viewer in viewers:
        label = "kam" if role == KAM else "team lead"
        calls.append((f"scope ({label})", lambda v=viewer: scope(results, v)))
        for name in ROLE_PAGES[role]:
            if name == "disputes":
                call = lambda v=viewer: disputes.view(results, v, LANG, store=store)  # noqa: E731
            else:
                call = lambda v=viewer, render=PAGES[name]: render(results, v, LANG)  # noqa: E731
            calls.append((f"{name} ({label})", call))
        if len(own):
            phone = own.iloc[len(own) // 2]
            calls.append(
                (f"check+phone ({label})", lambda v=viewer, p=phone: check.view(results, v, p, LANG))
            )
    return calls
