"""The benchmark's report: the result table, the targets' verdicts, the machine facts and docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from bench.steps import ENGINE_STEPS, STEPS

ROOT = Path(__file__).resolve().parent.parent


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


def _ok(results: dict, n: int, step: str) -> dict | None:
    r = results.get((n, step))
    return r if r and r.get("status") == "ok" else None


def evaluate_targets(results: dict, sizes: list[int]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows; verdict in met / missed / not measured."""
    M, K = 1_000_000, 100_000
    rows = []

    def ratio_row(label: str, a: dict | None, b: dict | None, limit: float, shown: str = "{:.2f}×") -> None:
        """A target on the ratio of two steps' seconds (a / b ≤ limit)."""
        if a and b and b["seconds"] > 0:
            r = a["seconds"] / b["seconds"]
            measured = f"{shown.format(r)} ({fmt_s(a['seconds'])} s / {fmt_s(b['seconds'])} s)"
            rows.append((label, measured, "met" if r <= limit else "missed"))
        else:
            rows.append((label, "—", "not measured"))

    def ratio_to(label: str, n: int, step: str, ref: str, limit: float) -> None:
        ratio_row(label, _ok(results, n, step), _ok(results, n, ref), limit)

    ratio_to(
        "ingest of the 1M-row single sheet ≤ 1.5× bare fastexcel read of the same file",
        M,
        "ingest_single",
        "read_single_fastexcel",
        1.5,
    )
    ratio_to("recompute at 1M (default rules) ≤ 0.5× bare read", M, "recompute", "read_fastexcel", 0.5)
    ratio_to(
        "recompute at 1M (protection_days = 30) ≤ 1× bare read", M, "recompute_p30", "read_fastexcel", 1.0
    )
    ratio_to(
        "recompute at 1M with 3 closed months and 100 adjudications ≤ 1.2× recompute",
        M,
        "recompute_v12",
        "recompute",
        1.2,
    )
    ratio_to(
        "the same with protection_days = 30 ≤ 1.2× recompute_p30",
        M,
        "recompute_v12_p30",
        "recompute_p30",
        1.2,
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
        label = f"{step}: time(1M) / time(100k) ≤ 12"
        ratio_row(label, _ok(results, M, step), _ok(results, K, step), 12, shown="{:.1f}")
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
            base = _ok(results, n, ref) if ref else None
            if ok and base and base["seconds"] > 0:
                ratio = f"{r['seconds'] / base['seconds']:.2f}×"
            elif ok and ref is None:
                ratio = "1.00×"
            note = "ok" if ok else r.get("status", "")
            if ok and r.get("rows_read"):
                note = f"ok, {r['rows_read']:,} rows"
            plain = _ok(results, n, step.replace("_v12", "")) if step.startswith("recompute_v12") else None
            if ok and plain and plain["seconds"] > 0:  # issue 9's speed target: side by side with recompute
                note += f"; {r['seconds'] / plain['seconds']:.2f}× {step.replace('_v12', '')}"
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
