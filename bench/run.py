"""KAM Metrics benchmark: bare reads vs ingest, recompute, export and page calls.

    python bench/run.py --sizes 10000,100000,1000000 [--steps read,ingest,...] [--out docs/benchmarks.md] [--keep]

For each size N the synthetic workbooks of bench/generate.py are generated once (cached under
bench/.cache/) and every measured step runs in a fresh subprocess (``run.py --child STEP``), so no
step inherits another's memory or warm caches. The child prints one JSON line with the step's
wall-clock seconds and its peak RSS (getrusage ru_maxrss of itself and its own children).

Steps (``--steps`` takes step names or the group names read / ingest / recompute / export / pages / undo / peer):

    read_fastexcel          bare fastexcel read of the 52 weekly workbooks (every sheet, as the engine reads)
    read_pandas             pandas.read_excel(sheet_name=None, engine="openpyxl") of the same files (N <= --pandas-max)
    read_single_fastexcel   bare fastexcel read of the single 报备 sheet of N rows
    read_single_pandas      pandas + openpyxl read of that file (N <= --pandas-max)
    ingest                  Store(db).ingest_many(paths) of the 52 weekly workbooks in order (Store.ingest per file
                            when the store has no ingest_many), then close(); a new store and uploads folder each run
    ingest_single           the same for the single-sheet workbook (its own folder)
    recompute               engine.report.compute(store, Rules(), as_of=None)
    recompute_p30           engine.report.compute(store, Rules(protection_days=30), as_of=None)
    recompute_v12           recompute on a copy of the store with v1.2's decisions: the first 3 months with statement
                            rows closed (each as of its last day), then 100 adjudications (25 each of leads,
                            visits, units, deals, every k-th stored row); the copy is prepared once, untimed
    recompute_v12_p30       recompute_p30 on that copy
    export                  export.write_workbook(results, path, lang="zh")  (compute untimed)
    pages                   each page's presentation call (kam_metrics.present.PAGES), cold and warm (median of 3 more)
    undo_first              Store.undo(first upload id) on a fresh copy of the weekly store and its kept files (the
                            copy untimed); facts: the kept files the undo opened (inotify) and, when it opened any,
                            the outcome of an undo on a copy without them
    undo_last               the same for the last upload
    peer_ingest             bench/peer.py: the same ingest as a careful analyst writes it with pandas + openpyxl
    peer_recompute          its attribution, weekly assessment and statement (default rules), N <= --pandas-max

Ratios are to the bare fastexcel read of the same files (weekly set or single sheet), which is
always measured when an engine step is selected, and for the undo steps to the recompute at that size. The
targets table (issue 14) also shows the real-browser timing of upload → refreshed overview that
tests/browser/test_upload_speed.py writes to bench/.cache/browser-upload.json. The steps are in
bench/steps.py, the report writer in bench/report.py; this runner parses the command line, runs each step
in a child process and collects results.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.steps import NEEDS_STORE, PANDAS_STEPS, STEPS, run_step  # noqa: E402

DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"


def _child_entry(a: argparse.Namespace) -> int:
    """In the child process: run one step and print its result as one JSON line."""
    files = [Path(p) for p in json.loads(Path(a.files).read_text())]
    try:
        out = run_step(a.child, files, Path(a.work))
    except Exception as e:  # noqa: BLE001 — reported in the table, with the traceback on stderr
        traceback.print_exc()
        out = {"status": f"error: {type(e).__name__}: {e}"[:300]}
    print("BENCH_RESULT " + json.dumps(out, ensure_ascii=False), flush=True)
    return 0


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
    # the references of any selected step are always measured (and theirs: undo → recompute → bare read)
    wanted = set(chosen)
    while refs := {STEPS[s][2] for s in wanted if STEPS[s][2]} - wanted:
        wanted |= refs
    return [s for s in STEPS if s in wanted]


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
        help="comma-separated steps or groups (read, ingest, recompute, export, pages, undo, peer)",
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
            gen_rows.append(report.gen_row(n, a.cache_dir, a.seed, None if was_cached else gen_s))
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
                        results[(n, step)] = {"status": f"no store: {store_ready}"}
                        continue
                r = run_repeated(step, files, work, a.timeout, a.repeat, a.repeat_max_seconds)
                results[(n, step)] = r
                if step == "ingest":
                    store_ready = "ok" if r.get("status") == "ok" else r.get("status")
                shown = (
                    f"{report.fmt_s(r['seconds'])} s, peak {r['peak_rss_mb']:,.0f} MB"
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
    rows = report.table_rows(results, sizes, steps)
    print()
    report.print_table(header, rows)
    peer = report.peer_rows(results, sizes)
    if peer:
        print()
        report.print_table(
            ["N", "work", "ours s", "ours ratio", "peer s", "peer ratio", "side by side"], peer
        )
    targets = report.evaluate_targets(results, sizes, report.browser_upload())
    print()
    report.print_table(["target", "measured", "verdict"], [list(t) for t in targets])
    argv_text = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    out = a.out if a.out.is_absolute() else Path.cwd() / a.out
    report.write_doc(out, report.machine_facts(), gen_rows, rows, targets, argv_text.strip(), peer)
    raw = a.cache_dir / "last-run.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({f"{n}:{s}": r for (n, s), r in results.items()}, ensure_ascii=False, indent=1))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
