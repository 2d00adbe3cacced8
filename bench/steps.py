"""The benchmark's measured steps, each run in its own process by bench/run.py: reads, ingest, compute, export, pages, undo."""

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
    # issue 14: undo of the first and of the last of the 52 uploads, each on a fresh copy of the weekly store
    "undo_first": ("undo", "weeks", "recompute"),
    "undo_last": ("undo", "weeks", "recompute"),
    # issue 14's peer: the same work as a careful analyst writes it with pandas + openpyxl (bench/peer.py)
    "peer_ingest": ("peer", "weeks", "read_fastexcel"),
    "peer_recompute": ("peer", "weeks", "read_fastexcel"),
}
PANDAS_STEPS = {"read_pandas", "read_single_pandas", "peer_ingest", "peer_recompute"}
NEEDS_STORE = {
    "recompute",
    "recompute_p30",
    "recompute_v12",
    "recompute_v12_p30",
    "export",
    "pages",
    "undo_first",
    "undo_last",
}
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
    elif step == "ingest":
        seconds, extra = _ingest(files, work / WEEKS_DB)
    elif step == "ingest_single":
        seconds, extra = _ingest(files, work / "single" / "single.duckdb")  # its own folder and kept files
    elif step in ("undo_first", "undo_last"):
        seconds, extra = _undo(work, first=step == "undo_first")
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


def _ingest(files: list[Path], db: Path) -> tuple[float, dict]:
    """A new store at ``db`` (its folder's kept files and ledger removed first, so every run keeps every file
    anew), then Store.ingest_many(files) when the store has it (what the CLI's ``ingest FILE…`` calls), else
    Store.ingest per file, then close(); facts: which was used and the database's size."""
    import shutil

    from kam_metrics.ingest.store import Store

    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(db.parent / "uploads", ignore_errors=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    store = Store(db)
    many = getattr(store, "ingest_many", None)
    if many is not None:
        many(files)
    else:
        for path in files:
            store.ingest(path)
    store.close()
    seconds = time.perf_counter() - t0
    facts = {"via": "ingest_many" if many is not None else "ingest per file"}
    facts["db_mb"] = round(db.stat().st_size / 2**20, 1) if db.exists() else None
    return seconds, facts


# -- undo ---------------------------------------------------------------------------------------------
# Store.undo of the first or of the last upload, each run on a fresh copy of the ingested weekly store with its
# own uploads folder holding the kept files the store names (hard links: undo reads kept files, never writes
# them). Which kept files the timed undo opened is observed from outside (inotify on that folder; nothing in the
# product is wrapped); when it opened any, a second, untimed undo on a copy without the kept files says whether
# it needs them (today's replay refuses with FileNotFoundError before changing anything, so that costs little).


def _undo(work: Path, first: bool) -> tuple[float, dict]:
    from kam_metrics.ingest.store import Store

    which = "first" if first else "last"
    db, kept = _undo_copy(work, f"undo-{which}", with_kept=True)
    store = Store(db)
    ids = [
        r[0] for r in store.cursor().execute("select upload_id from uploads order by upload_id").fetchall()
    ]
    if not ids:
        raise RuntimeError("the weekly store holds no upload")
    target = ids[0] if first else ids[-1]
    rows_before = _stored_rows(store)
    watch = _OpenWatch(db.parent / "uploads")
    t0 = time.perf_counter()
    store.undo(target)
    seconds = time.perf_counter() - t0
    opened = watch.opened()
    facts = {
        "upload_id": target,
        "uploads": len(ids),
        "later_uploads": sum(1 for i in ids if i > target),
        "rows_removed": rows_before - _stored_rows(store),
        "kept_files_opened": None if opened is None else len(opened & kept),
    }
    store.close()
    if facts["kept_files_opened"] == 0:
        facts["without_kept_files"] = "not run: the undo opened no kept file"
    else:
        facts["without_kept_files"] = _undo_without_kept(work, f"undo-{which}-bare", first)
    return seconds, facts


def _stored_rows(store) -> int:
    return sum(v for k, v in store.counts().items() if k != "uploads")


def _undo_copy(work: Path, name: str, with_kept: bool) -> tuple[Path, set[str]]:
    """work/<name>/weeks.duckdb, a copy of the weekly store, and (``with_kept``) hard links to its kept files in
    work/<name>/uploads/; returns the copy and the kept files' names."""
    import os
    import shutil

    import duckdb

    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "uploads").mkdir(parents=True)
    src = work / WEEKS_DB
    db = folder / WEEKS_DB
    shutil.copyfile(src, db)
    if src.with_name(src.name + ".wal").exists():
        shutil.copyfile(src.with_name(src.name + ".wal"), db.with_name(db.name + ".wal"))
    con = duckdb.connect(str(db), read_only=True)
    stored = {
        r[0] for r in con.execute("select stored_path from uploads where stored_path is not null").fetchall()
    }
    con.close()
    if with_kept:
        for name_ in stored:
            if Path(name_).is_absolute():  # a kept file outside the uploads folder is read where it is
                continue
            try:
                os.link(work / "uploads" / name_, folder / "uploads" / name_)
            except OSError:
                shutil.copyfile(work / "uploads" / name_, folder / "uploads" / name_)
    return db, {Path(name_).name for name_ in stored}


def _undo_without_kept(work: Path, name: str, first: bool) -> str:
    """Undo on a copy whose uploads folder holds no kept file (the ledger stays writable): "ok" or the error."""
    from kam_metrics.ingest.store import Store

    db, _ = _undo_copy(work, name, with_kept=False)
    store = Store(db)
    try:
        ids = [
            r[0]
            for r in store.cursor().execute("select upload_id from uploads order by upload_id").fetchall()
        ]
        store.undo(ids[0] if first else ids[-1])
        return "ok"
    except Exception as e:  # noqa: BLE001 — the outcome is the fact reported
        return f"{type(e).__name__}: {e}"[:200]
    finally:
        store.close()


class _OpenWatch:
    """The names of files opened in one folder from now on (Linux inotify IN_OPEN, read through libc); opened()
    is None where inotify is not available or its queue overflowed."""

    IN_OPEN, IN_Q_OVERFLOW = 0x20, 0x4000

    def __init__(self, folder: Path) -> None:
        import ctypes
        import ctypes.util
        import os

        self.fd = -1
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            self.fd = libc.inotify_init1(os.O_NONBLOCK)
            if self.fd >= 0 and libc.inotify_add_watch(self.fd, str(folder).encode(), self.IN_OPEN) < 0:
                os.close(self.fd)
                self.fd = -1
        except (OSError, AttributeError):
            self.fd = -1

    def opened(self) -> set[str] | None:
        import os
        import struct

        if self.fd < 0:
            return None
        names: set[str] | None = set()
        try:
            while True:
                try:
                    buf = os.read(self.fd, 1 << 16)
                except BlockingIOError:
                    break
                i = 0
                while i < len(buf):
                    _, mask, _, length = struct.unpack_from("iIII", buf, i)
                    if mask & self.IN_Q_OVERFLOW:
                        names = None
                    elif names is not None:
                        names.add(buf[i + 16 : i + 16 + length].rstrip(b"\0").decode())
                    i += 16 + length
        finally:
            os.close(self.fd)
            self.fd = -1
        return names


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
