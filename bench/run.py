"""KAM Metrics benchmark: bare reads vs ingest, recompute, export and page calls.

    python bench/run.py --sizes 10000,100000,1000000 [--steps read,ingest,...] [--out docs/benchmarks.md] [--keep]

For each size N the synthetic workbooks of bench/generate.py are generated once (cached under
bench/.cache/) and every measured step runs in a fresh subprocess (``run.py --child STEP``), so no
step inherits another's memory or warm caches. The child prints one JSON line with the step's
wall-clock seconds and its peak RSS (getrusage ru_maxrss of itself and its own children).

Steps (``--steps`` takes step names or the group names read / ingest / recompute / export / pages):

    read_fastexcel          bare fastexcel read of the 52 weekly workbooks (every sheet, as the engine reads)
    read_pandas             pandas.read_excel(sheet_name=None, engine="openpyxl") of the same files (N <= --pandas-max)
    read_single_fastexcel   bare fastexcel read of the single 报备 sheet of N rows
    read_single_pandas      pandas + openpyxl read of that file (N <= --pandas-max)
    ingest                  Store(db).ingest(path) for the 52 weekly workbooks in order, then close()
    ingest_single           Store(db).ingest(path) of the single-sheet workbook, then close()
    recompute               report.compute(store, Rules(), as_of=None)
    recompute_p30           report.compute(store, Rules(protection_days=30), as_of=None)
    export                  export.write_workbook(results, path, lang="zh")  (compute untimed)
    pages                   each PAGE_CALLS entry, cold (first call) and warm (median of 3 more)

Ratios are to the bare fastexcel read of the same files (weekly set or single sheet), which is
always measured when an engine step is selected. Engine steps whose modules do not exist yet are
reported as "not available yet".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"

# (name, callable(store, results)) — each dashboard page's core call, timed cold and warm: the
# kam_metrics.views calls a page makes on a default render (pages/*.py, in order), with the same
# arguments. Streamlit caches the Results per data version (ui/state.py: st.cache_resource), so the
# compute is not part of a page call; format_func callbacks run once per option, as a selectbox does.
# Picks a user makes (a KAM-week, a customer, edited rules) come from _page_context, untimed.
_CTX: dict = {}


def _page_context(store, results) -> None:
    """Untimed picks for the page calls: the last shown week, a KAM assessed in it, a customer, edited rules."""
    from kam_metrics.present import views

    _CTX.clear()
    weeks = views.weeks(results)
    _CTX["week"] = weeks[-1] if weeks else None
    weekly = results.weekly
    rows = weekly[weekly["week"] == _CTX["week"]] if _CTX["week"] else weekly.iloc[0:0]
    _CTX["kam"] = str(rows["kam"].iloc[len(rows) // 2]) if len(rows) else None
    leads = results.leads
    _CTX["phone"] = str(leads["phone"].iloc[len(leads) // 2]) if len(leads) else None
    months = views.months(results)
    _CTX["month"] = months[-1] if months else None
    # the rules page's what-if: one edited value (the lead fine), compared with the current results
    from kam_metrics.contract.rules import rules_from_dict

    _CTX["edited_rules"] = rules_from_dict({"fines": {"numbers": 2}})
    _CTX["edited"] = _compute(store, rules=_CTX["edited_rules"])


def _page_common(store, results):
    """Every page: app.py's sidebar and banner, state.require_data (uploads ledger, data version, teams)."""
    from kam_metrics.present import views

    store.uploads()
    store.version()
    return views.teams(results)


def _page_overview(store, results):
    from kam_metrics.present import views

    lang = "zh"
    weeks = views.weeks(results)
    if not weeks:
        return None
    labels = [views.week_label(results, w, lang) for w in weeks]
    kpi = views.kpis(results, weeks[-1])
    return labels, kpi, views.funnel(results, lang), views.trend(results, lang), views.flagged(results, lang)


def _page_weekly(store, results):
    from kam_metrics.present import views

    lang = "zh"
    kams, weeks = views.kam_names(results), views.weeks(results)
    return (
        kams,
        weeks,
        views.heatmap(results, lang),
        views.flagged(results, lang),
        views.weekly_table(results, lang),
    )


def _page_weekly_detail(store, results):
    from kam_metrics.present import views

    if _CTX.get("kam") is None:
        return None
    lang = "zh"
    return views.kam_week(results, _CTX["kam"], _CTX["week"], lang), views.week_label(
        results, _CTX["week"], lang
    )


def _page_attribution(store, results):
    from kam_metrics.present import views

    return views.refusals(results, "zh")


def _page_attribution_customer(store, results):
    from kam_metrics.present import views

    phone = _CTX.get("phone")
    if phone is None:
        return None
    lang = "zh"
    matches = views.find_customers(results, phone[3:10])  # seven digits typed
    labels = [views.customer_label(results, p) for p in matches[:50]]
    story = views.customer_story(results, phone, lang)
    return labels, story, views.customer_label(results, phone), views.claim_text(results, phone, lang)


def _page_commissions(store, results):
    from kam_metrics.present import views

    lang = "zh"
    month = _CTX.get("month")
    return (
        views.months(results),
        views.kam_names(results),
        views.statement_totals(results, month),
        views.statement_table(results, month, lang),
        views.deal_lines(results, lang, kam=None, month=month),
    )


def _page_upload(store, results):
    from kam_metrics.present import views

    lang = "zh"
    uploads = store.uploads()
    labels = [views.upload_label(uploads, int(u)) for u in uploads["upload_id"]]
    return views.ledger(uploads, lang), labels, views.all_rejected(results, lang)


def _page_rules(store, results):
    from kam_metrics.present import views

    lang = "zh"
    edited_rules, edited = _CTX["edited_rules"], _CTX["edited"]
    return (
        views.rules_changes(results.rules, edited_rules, lang),
        views.whatif_totals(results, edited),
        views.whatif(results, edited, lang),
    )


PAGE_CALLS: list[tuple[str, Callable[[object, object], object]]] = [
    ("common", _page_common),
    ("overview", _page_overview),
    ("weekly", _page_weekly),
    ("weekly_detail", _page_weekly_detail),
    ("attribution", _page_attribution),
    ("attribution_customer", _page_attribution_customer),
    ("commissions", _page_commissions),
    ("upload", _page_upload),
    ("rules", _page_rules),
]

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
    "export": ("export", "weeks", "read_fastexcel"),
    "pages": ("pages", "weeks", None),
}
PANDAS_STEPS = {"read_pandas", "read_single_pandas"}
NEEDS_STORE = {"recompute", "recompute_p30", "export", "pages"}
ENGINE_STEPS = {"ingest", "ingest_single", "recompute", "recompute_p30", "export", "pages"}
NOT_AVAILABLE = "not available yet"


# ============================================================================ child side


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0  # Linux: KiB


def _rss_now_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except Exception:  # noqa: BLE001
        return float("nan")


class NotAvailable(Exception):
    pass


def _engine(*names: str):
    """Import engine pieces; missing modules or attributes mean "not available yet"."""
    try:
        mods = {}
        if "Store" in names:
            from kam_metrics.ingest.store import Store

            mods["Store"] = Store
        if "Rules" in names:
            from kam_metrics.contract.rules import Rules

            mods["Rules"] = Rules
        if "report" in names:
            from kam_metrics.engine import report

            if not hasattr(report, "compute"):
                raise NotAvailable("kam_metrics.report.compute missing")
            mods["report"] = report
        if "export" in names:
            from kam_metrics.export import workbook as export

            if not hasattr(export, "write_workbook"):
                raise NotAvailable("kam_metrics.export.write_workbook missing")
            mods["export"] = export
        return mods
    except ImportError as e:
        raise NotAvailable(f"{type(e).__name__}: {e}") from e


def _open_store(db: Path):
    Store = _engine("Store")["Store"]
    if not db.exists():
        raise NotAvailable(f"no ingested store at {db}")
    return Store(db)


def _compute(store, protection_days: int = 0, rules=None):
    m = _engine("Rules", "report")
    if rules is None:
        rules = m["Rules"](protection_days=protection_days) if protection_days else m["Rules"]()
    return m["report"].compute(store, rules, as_of=None)


def child_main(step: str, files: list[Path], work: Path) -> dict:
    extra: dict = {}
    if step in ("read_fastexcel", "read_single_fastexcel"):
        import fastexcel

        t0 = time.perf_counter()
        rows = 0
        for path in files:
            reader = fastexcel.read_excel(path)
            for i in range(len(reader.sheet_names)):
                rows += (
                    reader.load_sheet(i, header_row=None, skip_rows=0, dtypes="string").to_arrow().num_rows
                )
        seconds = time.perf_counter() - t0
        extra["rows_read"] = rows
    elif step in PANDAS_STEPS:
        import pandas

        t0 = time.perf_counter()
        rows = 0
        for path in files:
            frames = pandas.read_excel(path, sheet_name=None, engine="openpyxl")
            rows += sum(len(f) + 1 for f in frames.values())
        seconds = time.perf_counter() - t0
        extra["rows_read"] = rows
    elif step in ("ingest", "ingest_single"):
        Store = _engine("Store")["Store"]
        db = work / f"{'weeks' if step == 'ingest' else 'single'}.duckdb"
        for p in (db, db.with_name(db.name + ".wal")):
            p.unlink(missing_ok=True)
        t0 = time.perf_counter()
        store = Store(db)
        for path in files:
            store.ingest(path)
        store.close()
        seconds = time.perf_counter() - t0
        extra["db_mb"] = round(db.stat().st_size / 2**20, 1) if db.exists() else None
    elif step in ("recompute", "recompute_p30"):
        _engine("Rules", "report")
        store = _open_store(work / "weeks.duckdb")
        t0 = time.perf_counter()
        _compute(store, 30 if step == "recompute_p30" else 0)
        seconds = time.perf_counter() - t0
        store.close()
    elif step == "export":
        export = _engine("Rules", "report", "export")["export"]
        store = _open_store(work / "weeks.duckdb")
        results = _compute(store)
        out = work / "results.xlsx"
        extra["rss_before_mb"] = round(_rss_now_mb(), 1)
        t0 = time.perf_counter()
        export.write_workbook(results, out, lang="zh")
        seconds = time.perf_counter() - t0
        extra["xlsx_mb"] = round(out.stat().st_size / 2**20, 2) if out.exists() else None
        store.close()
    elif step == "pages":
        if not PAGE_CALLS:
            raise NotAvailable("PAGE_CALLS is empty")
        store = _open_store(work / "weeks.duckdb")
        results = _compute(store)
        _page_context(store, results)
        pages = []
        for name, fn in PAGE_CALLS:
            t0 = time.perf_counter()
            fn(store, results)
            cold = time.perf_counter() - t0
            warm_runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                fn(store, results)
                warm_runs.append(time.perf_counter() - t0)
            pages.append({"name": name, "cold": cold, "warm": statistics.median(warm_runs)})
        store.close()
        extra["pages"] = pages
        seconds = sum(p["cold"] for p in pages)
    else:
        raise SystemExit(f"unknown step {step}")
    return {"status": "ok", "seconds": seconds, "peak_rss_mb": round(_peak_rss_mb(), 1), **extra}


def _child_entry(a: argparse.Namespace) -> int:
    files = [Path(p) for p in json.loads(Path(a.files).read_text())]
    try:
        out = child_main(a.child, files, Path(a.work))
    except NotAvailable as e:
        out = {"status": f"{NOT_AVAILABLE} ({e})"}
    except Exception as e:  # noqa: BLE001 — report, do not hide
        traceback.print_exc()
        out = {"status": f"error: {type(e).__name__}: {e}"[:300]}
    print("BENCH_RESULT " + json.dumps(out, ensure_ascii=False), flush=True)
    return 0


# ============================================================================ parent side


def run_child(step: str, files: list[Path], work: Path, timeout: float) -> dict:
    files_json = work / f"files-{step}.json"
    files_json.write_text(json.dumps([str(p) for p in files]))
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        step,
        "--files",
        str(files_json),
        "--work",
        str(work),
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"status": f"error: timeout after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    result = None
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line[len("BENCH_RESULT ") :])
    if result is None:
        tail = (stderr or "").strip().splitlines()[-3:]
        result = {"status": f"error: exit {proc.returncode}: {' | '.join(tail)}"[:300]}
    elif result.get("status", "").startswith("error") and stderr:
        sys.stderr.write(stderr)
    result["process_seconds"] = round(wall, 2)
    return result


def run_repeated(
    step: str, files: list[Path], work: Path, timeout: float, repeat: int, repeat_max: float = float("inf")
) -> dict:
    """Median seconds and max peak RSS over `repeat` fresh-process runs (pages: the median run's calls).

    A step whose first run takes longer than `repeat_max` seconds is not repeated (its noise is small
    relative to its length, and three runs of it would dominate the benchmark's own time)."""
    runs = [run_child(step, files, work, timeout)]
    while len(runs) < max(1, repeat) and runs[0].get("status") == "ok" and runs[0]["seconds"] <= repeat_max:
        runs.append(run_child(step, files, work, timeout))
    ok = [r for r in runs if r.get("status") == "ok"]
    if len(ok) < len(runs) or len(runs) == 1:
        return runs[0] if len(ok) == len(runs) else next(r for r in runs if r.get("status") != "ok")
    ok.sort(key=lambda r: r["seconds"])
    result = dict(ok[len(ok) // 2])
    result["seconds"] = statistics.median(r["seconds"] for r in ok)
    result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    result["runs"] = [round(r["seconds"], 3) for r in runs]
    return result


def select_steps(spec: str | None) -> list[str]:
    if not spec or spec == "all":
        return list(STEPS)
    wanted = {s.strip() for s in spec.split(",") if s.strip()}
    unknown = wanted - set(STEPS) - {g for g, _, _ in STEPS.values()}
    if unknown:
        raise SystemExit(f"unknown steps: {', '.join(sorted(unknown))}; known: {', '.join(STEPS)}")
    chosen = [s for s, (g, _, _) in STEPS.items() if s in wanted or g in wanted]
    # the floor references of any selected step are always measured
    refs = {STEPS[s][2] for s in chosen if STEPS[s][2]}
    return [s for s in STEPS if s in chosen or s in refs]


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def machine_facts() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts = {"cpu": cpu, "logical_cores": os.cpu_count()}
    try:
        import psutil

        facts["physical_cores"] = psutil.cpu_count(logical=False)
        facts["ram_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:  # noqa: BLE001
        pass
    facts["os"] = platform.platform()
    facts["python"] = platform.python_version()
    versions = {}
    for pkg in (
        "fastexcel",
        "python-calamine",
        "duckdb",
        "pyarrow",
        "pandas",
        "openpyxl",
        "xlsxwriter",
        "numpy",
        "psutil",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    facts["packages"] = versions
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "kam_metrics"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        facts["commit"] = commit + (" (kam_metrics has uncommitted changes)" if dirty else "")
    except OSError:
        facts["commit"] = "unknown"
    facts["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    facts["load"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return facts


def _get(results: dict, n: int, step: str) -> dict | None:
    r = results.get((n, step))
    return r if r and r.get("status") == "ok" else None


def evaluate_targets(results: dict, sizes: list[int]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows; verdict in met / missed / not measured."""
    M, K = 1_000_000, 100_000
    rows = []

    def ratio_row(label: str, n: int, step: str, ref: str, limit: float) -> None:
        a, b = _get(results, n, step), _get(results, n, ref)
        if a and b and b["seconds"] > 0:
            r = a["seconds"] / b["seconds"]
            rows.append(
                (
                    label,
                    f"{r:.2f}× ({fmt_s(a['seconds'])} s / {fmt_s(b['seconds'])} s)",
                    "met" if r <= limit else "missed",
                )
            )
        else:
            rows.append((label, "—", "not measured"))

    ratio_row(
        "ingest of the 1M-row single sheet ≤ 1.5× bare fastexcel read of the same file",
        M,
        "ingest_single",
        "read_single_fastexcel",
        1.5,
    )
    ratio_row("recompute at 1M (default rules) ≤ 0.5× bare read", M, "recompute", "read_fastexcel", 0.5)
    ratio_row(
        "recompute at 1M (protection_days = 30) ≤ 1× bare read", M, "recompute_p30", "read_fastexcel", 1.0
    )

    page_warm = [
        (n, p["name"], p["warm"])
        for (n, step), r in results.items()
        if step == "pages" and r.get("status") == "ok"
        for p in r.get("pages", [])
    ]
    if page_warm:
        n, name, worst = max(page_warm, key=lambda x: x[2])
        rows.append(
            (
                "each page's core call ≤ 0.2 s warm",
                f"slowest {worst:.3f} s ({name}, N={n:,})",
                "met" if worst <= 0.2 else "missed",
            )
        )
    else:
        rows.append(("each page's core call ≤ 0.2 s warm", "—", "not measured"))

    rss = [
        (r["peak_rss_mb"], n, step)
        for (n, step), r in results.items()
        if step in ENGINE_STEPS and r.get("status") == "ok"
    ]
    if rss:
        peak, n, step = max(rss)
        verdict = "met" if peak <= 2048 else "missed"
        if M not in sizes and verdict == "met":
            verdict = "not measured (no 1M run)"
        rows.append(
            ("peak RSS of every engine step ≤ 2 GB", f"max {peak:,.0f} MB ({step}, N={n:,})", verdict)
        )
    else:
        rows.append(("peak RSS of every engine step ≤ 2 GB", "—", "not measured"))

    for step in ("ingest", "recompute"):
        a, b = _get(results, M, step), _get(results, K, step)
        label = f"{step}: time(1M) / time(100k) ≤ 12"
        if a and b and b["seconds"] > 0:
            r = a["seconds"] / b["seconds"]
            rows.append(
                (
                    label,
                    f"{r:.1f} ({fmt_s(a['seconds'])} s / {fmt_s(b['seconds'])} s)",
                    "met" if r <= 12 else "missed",
                )
            )
        else:
            rows.append((label, "—", "not measured"))
    return rows


def table_rows(results: dict, sizes: list[int], steps: list[str]) -> list[list[str]]:
    out = []
    for n in sizes:
        for step in steps:
            r = results.get((n, step))
            if r is None:
                continue
            ref = STEPS[step][2]
            ok = r.get("status") == "ok"
            if step == "pages" and ok:
                for p in r["pages"]:
                    for kind in ("cold", "warm"):
                        out.append(
                            [
                                f"{n:,}",
                                f"page {p['name']} ({kind})",
                                fmt_s(p[kind]),
                                f"{r['peak_rss_mb']:,.0f}",
                                "—",
                                "ok",
                            ]
                        )
                continue
            ratio = "—"
            base = _get(results, n, ref) if ref else None
            if ok and base and base["seconds"] > 0:
                ratio = f"{r['seconds'] / base['seconds']:.2f}×"
            elif ok and ref is None:
                ratio = "1.00×"
            note = "ok" if ok else r.get("status", "")
            if ok and r.get("rows_read"):
                note = f"ok, {r['rows_read']:,} rows"
            if ok and r.get("runs"):
                note += f"; runs {', '.join(fmt_s(x) for x in r['runs'])}"
            out.append(
                [
                    f"{n:,}",
                    step,
                    fmt_s(r.get("seconds")) if ok else "—",
                    f"{r['peak_rss_mb']:,.0f}" if ok else "—",
                    ratio,
                    note,
                ]
            )
    return out


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = (
        [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
        if rows
        else [len(h) for h in header]
    )
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


CHANGES = Path(__file__).resolve().parent / "changes.md"


def _changes_text() -> str:
    """bench/changes.md (profiled hot spots, what changed in the engine, before/after), appended to the report."""
    if not CHANGES.exists():
        return ""
    return "\n" + CHANGES.read_text(encoding="utf-8").strip() + "\n"


def write_doc(
    path: Path, facts: dict, gen_rows: list[list[str]], rows: list[list[str]], targets: list, argv: str
) -> None:
    pk = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    text = f"""# Benchmarks

Generated by `bench/run.py` — do not edit by hand; re-run it:

    {argv}

## Machine

- CPU: {facts["cpu"]} — {facts.get("physical_cores", "?")} physical / {facts["logical_cores"]} logical cores
- RAM: {facts.get("ram_gb", "?")} GB
- OS: {facts["os"]}
- Python {facts["python"]}; {pk}
- Code: commit {facts["commit"]}
- Date: {facts["date"]}; load average at the end of the run (1/5/15 min): {facts["load"]}

## Input (bench/generate.py, seed 1)

52 weekly workbooks from Monday 2025-12-01, each with the sheets 大客户经理名单 (roster), 客户登记,
拓展单位, 报备, 带访, 成交 under the canonical Chinese headers; per size N in total N leads, N/2
registrations, N/6 visits, N/300 units, N/30 deals by max(8, N/2500) KAMs. Phones are text, timestamps
real date cells. The "single" file is one workbook with one 报备 sheet of N lead rows. Written by
xlsxwriter in constant_memory mode (so strings are inline strings, not a shared-string table).

{md_table(["N", "rows (roster/registrations/units/leads/visits/deals)", "weekly files MB", "single file MB", "generation s"], gen_rows)}

## Results

Every step runs in a fresh subprocess (with `--repeat R`, R times — once when the first run takes longer
than `--repeat-max-seconds` — median seconds, max RSS); seconds are wall-clock of the step's work only (imports,
opening the store and, for export and pages, the untimed compute are excluded), peak RSS is the
child process's ru_maxrss (includes the interpreter and imports). Ratio: to the bare fastexcel read
of the same files (`fastexcel.read_excel(path).load_sheet(i, header_row=None, skip_rows=0,
dtypes="string").to_arrow()` for every sheet) — the weekly set, or the single sheet for `*_single`.

{md_table(["N", "step", "seconds", "peak RSS MB", "ratio to bare read", "note"], rows)}

## Targets

{md_table(["target", "measured", "verdict"], [list(t) for t in targets])}
{_changes_text()}"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def gen_row(n: int, cache: Path, seed: int, gen_seconds: float | None) -> list[str]:
    from bench import generate as g

    mw, ms = g.manifest(n, cache, seed, "weeks"), g.manifest(n, cache, seed, "single")
    rows = "/".join(f"{mw['rows'].get(k, 0):,}" for k in g.SHEET_ORDER) if mw else "—"
    wmb = f"{mw['bytes'] / 2**20:.1f}" if mw else "—"
    smb = f"{ms['bytes'] / 2**20:.1f}" if ms else "—"
    # one parallel pass writes both variants; a cached set shows the time recorded when it was written
    if gen_seconds is None and mw:
        gen_seconds = mw["build_seconds"] + mw["write_seconds_all_jobs"]
    secs = gen_seconds
    return [f"{n:,}", rows, wmb, smb, f"{secs:.1f}" if secs is not None else "—"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="KAM Metrics benchmark",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    ap.add_argument("--sizes", default="10000", help="comma-separated N (lead rows); default 10000")
    ap.add_argument(
        "--steps",
        default="all",
        help="comma-separated steps or groups (read, ingest, recompute, export, pages)",
    )
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="markdown report (default docs/benchmarks.md)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the work directory (stores, exported workbook)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE, help="generated workbooks (default bench/.cache)"
    )
    ap.add_argument("--pandas-max", type=int, default=100_000, help="largest N read with pandas + openpyxl")
    ap.add_argument("--repeat", type=int, default=1, help="run each step R times; report the median seconds")
    ap.add_argument(
        "--repeat-max-seconds",
        type=float,
        default=120,
        help="do not repeat a step whose first run took longer than this (default 120)",
    )
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per step")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--files", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return _child_entry(a)

    from bench import generate as g

    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]
    steps = select_steps(a.steps)
    work_root = Path(tempfile.mkdtemp(prefix="kam-bench-"))
    results: dict[tuple[int, str], dict] = {}
    gen_rows = []
    print(f"sizes {sizes}; steps {', '.join(steps)}; work dir {work_root}", flush=True)
    try:
        for n in sizes:
            t0 = time.perf_counter()
            was_cached = g.manifest(n, a.cache_dir, a.seed, "weeks") and g.manifest(
                n, a.cache_dir, a.seed, "single"
            )
            weeks, single = g.generate_all(n, a.cache_dir, a.seed)
            gen_s = time.perf_counter() - t0
            print(f"N={n:,}: generated in {gen_s:.1f} s{' (cached)' if was_cached else ''}", flush=True)
            gen_rows.append(gen_row(n, a.cache_dir, a.seed, None if was_cached else gen_s))
            work = work_root / f"n{n}"
            work.mkdir(parents=True, exist_ok=True)
            store_ready: str | None = None  # None: unknown, "ok", or the failure status
            for step in steps:
                _, input_set, _ = STEPS[step]
                files = weeks if input_set == "weeks" else [single]
                if step in PANDAS_STEPS and n > a.pandas_max:
                    results[(n, step)] = {"status": f"skipped (N > {a.pandas_max:,}: too slow)"}
                    continue
                if step in NEEDS_STORE and store_ready != "ok":
                    if store_ready is None:
                        print(f"N={n:,}: preparing the store (untimed ingest)", flush=True)
                        prep = run_child("ingest", weeks, work, a.timeout)
                        store_ready = "ok" if prep.get("status") == "ok" else prep.get("status", "error")
                    if store_ready != "ok":
                        results[(n, step)] = {
                            "status": store_ready
                            if store_ready.startswith(NOT_AVAILABLE)
                            else f"no store: {store_ready}"
                        }
                        continue
                r = run_repeated(step, files, work, a.timeout, a.repeat, a.repeat_max_seconds)
                results[(n, step)] = r
                if step == "ingest":
                    store_ready = "ok" if r.get("status") == "ok" else r.get("status")
                shown = (
                    f"{fmt_s(r['seconds'])} s, peak {r['peak_rss_mb']:,.0f} MB"
                    if r.get("status") == "ok"
                    else r.get("status")
                )
                print(f"N={n:,} {step}: {shown}", flush=True)
    finally:
        if a.keep:
            print(f"kept work dir {work_root}")
        else:
            shutil.rmtree(work_root, ignore_errors=True)

    header = ["N", "step", "seconds", "peak RSS MB", "ratio", "note"]
    rows = table_rows(results, sizes, steps)
    print()
    print_table(header, rows)
    targets = evaluate_targets(results, sizes)
    print()
    print_table(["target", "measured", "verdict"], [list(t) for t in targets])
    argv_text = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    out = a.out if a.out.is_absolute() else Path.cwd() / a.out
    write_doc(out, machine_facts(), gen_rows, rows, targets, argv_text.strip())
    raw = a.cache_dir / "last-run.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({f"{n}:{s}": r for (n, s), r in results.items()}, ensure_ascii=False, indent=1))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
