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


M, K, T = 1_000_000, 100_000, 10_000
RECOMPUTE_STEPS = ("recompute", "recompute_p30", "recompute_v12", "recompute_v12_p30")
READS = ("read_fastexcel", "read_single_fastexcel")
PEER_SIZES = (T, K)  # issue 14: the peer side by side at 10k and 100k
# The real-browser timing of upload → refreshed overview (tests/browser/test_upload_speed.py writes it).
BROWSER_UPLOAD = ROOT / "bench" / ".cache" / "browser-upload.json"
BROWSER_HOW = "run CI=true pytest tests/browser/test_upload_speed.py"


def browser_upload(path: Path = BROWSER_UPLOAD) -> dict | None:
    """The last real-browser measurement of upload → refreshed overview, or None when there is none."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data.get("seconds"), int | float) else None


def _ratio(a: dict | None, b: dict | None) -> float | None:
    return a["seconds"] / b["seconds"] if a and b and b["seconds"] > 0 else None


def _measured(a: dict, b: dict, ref: str = "") -> str:
    ratio = _ratio(a, b)
    return f"{ratio:.2f}×{' ' + ref if ref else ''} ({fmt_s(a['seconds'])} s / {fmt_s(b['seconds'])} s)"


def _status(results: dict, n: int, *steps: str) -> str:
    """Why one of ``steps`` has no result at N = n (for a "not measured" row)."""
    for step in steps:
        r = results.get((n, step))
        if r is None:
            return f"{step} not run"
        if r.get("status") != "ok":
            return f"{step}: {r.get('status')}"
    return ""


def _faster(ours: float, peer: float) -> str:
    if ours <= 0 or peer <= 0:
        return "—"
    return f"ours is {peer / ours:.1f}× faster" if ours <= peer else f"ours is {ours / peer:.1f}× slower"


def evaluate_targets(
    results: dict, sizes: list[int], browser: dict | None = None
) -> list[tuple[str, str, str]]:
    """Issue 14's targets as (target, measured, verdict) rows, verdict met / missed / not measured: the ratio
    targets once per size measured, the 1M targets, the peer at 10k and 100k, and the browser's upload timing."""
    rows: list[tuple[str, str, str]] = []

    def ratio_row(label: str, n: int, step: str, ref: str, limit: float, extra: str = "", ok=True) -> None:
        a, b = _ok(results, n, step), _ok(results, n, ref)
        if not (a and b and b["seconds"] > 0):
            rows.append((label, f"— ({_status(results, n, step, ref)})", "not measured"))
            return
        ratio = _ratio(a, b)
        shown = _measured(a, b, "" if ref in READS else ref) + extra
        rows.append((label, shown, "met" if ratio <= limit and ok else "missed"))

    for n in sizes:
        at = f"N={n:,}"
        r = _ok(results, n, "ingest")
        via = f"; {r['via']}" if r and r.get("via") else ""
        ratio_row(f"weekly-set ingest ≤ 2× bare read ({at})", n, "ingest", "read_fastexcel", 2.0, via)
        r = _ok(results, n, "ingest_single")
        via = f"; {r['via']}" if r and r.get("via") else ""
        ratio_row(
            f"single-sheet ingest ≤ 1.3× bare read ({at})",
            n,
            "ingest_single",
            "read_single_fastexcel",
            1.3,
            via,
        )
        for step, which in (("undo_first", "first"), ("undo_last", "last")):
            r = _ok(results, n, step)
            opened = r.get("kept_files_opened") if r else None
            extra = "" if r is None else f"; kept files opened: {'unknown' if opened is None else opened}"
            if r and r.get("without_kept_files", "").startswith(("ok", "FileNotFoundError")):
                extra += f"; without kept files: {r['without_kept_files'].split(':')[0]}"
            ratio_row(
                f"undo of the {which} of {r.get('uploads', 52) if r else 52} uploads ≤ 1× recompute, "
                f"no kept file read ({at})",
                n,
                step,
                "recompute",
                1.0,
                extra,
                ok=opened == 0,
            )
        for step, limit, rules in (
            ("recompute", 0.3, "default rules"),
            ("recompute_p30", 0.6, "protection_days = 30"),
        ):
            v12 = step.replace("recompute", "recompute_v12")
            plain = _ok(results, n, step), _ok(results, n, "read_fastexcel")
            extra = f"; plain store {_measured(*plain)}" if all(plain) and plain[1]["seconds"] > 0 else ""
            ratio_row(
                f"recompute ≤ {limit}× bare read, {rules}, with v1.2's closes and adjudications ({at})",
                n,
                v12,
                "read_fastexcel",
                limit,
                extra,
            )

    rows.append(_rss_row(results, sizes))
    if M in sizes:
        ratio_row("export ≤ 1× bare read (N=1,000,000)", M, "export", "read_fastexcel", 1.0)
    else:
        rows.append(
            ("export ≤ 1× bare read (N=1,000,000)", _smaller(results, sizes, "export"), "not measured")
        )
    rows.append(_pages_row(results, sizes))
    for n in PEER_SIZES:
        rows.append(_peer_row(results, sizes, n))
    label = "upload of the sample's week 12 → refreshed overview ≤ 2 s, real browser"
    if browser is None:
        rows.append((label, f"— ({BROWSER_HOW})", "not measured"))
    else:
        when = f"measured {browser.get('measured_at', '?')}, commit {browser.get('commit', '?')}"
        if browser.get("load_average_1min") is not None:
            when += f", load {browser['load_average_1min']}"
        if isinstance(browser.get("upload_seconds"), int | float):
            when = f"upload page {browser['upload_seconds']:.2f} s, then the overview; " + when
        rows.append(
            (label, f"{browser['seconds']:.2f} s ({when})", "met" if browser["seconds"] <= 2 else "missed")
        )
    return rows


def _smaller(results: dict, sizes: list[int], step: str) -> str:
    """A 1M target's "not measured" text, with the largest size's ratio measured instead for reference."""
    for n in sorted(sizes, reverse=True):
        a, b = _ok(results, n, step), _ok(results, n, "read_fastexcel")
        if a and b and b["seconds"] > 0:
            return f"— (no 1M run; at N={n:,}: {_measured(a, b)})"
    return "— (no 1M run)"


def _rss_row(results: dict, sizes: list[int]) -> tuple[str, str, str]:
    label = "peak RSS of the recompute ≤ 1 GB (N=1,000,000)"
    n = M if M in sizes else max(sizes, default=None)
    peaks = [(r["peak_rss_mb"], s) for s in RECOMPUTE_STEPS if (r := _ok(results, n, s))] if n else []
    if not peaks:
        return (label, "—", "not measured")
    peak, step = max(peaks)
    engine = [(r["peak_rss_mb"], s) for s in sorted(ENGINE_STEPS) if (r := _ok(results, n, s))]
    top, top_step = max(engine)
    shown = f"max {peak:,.0f} MB ({step}); every engine step: max {top:,.0f} MB ({top_step})"
    if n != M:
        return (label, f"— (no 1M run; at N={n:,}: {shown})", "not measured")
    return (label, shown, "met" if peak <= 1024 else "missed")


def _pages_row(results: dict, sizes: list[int]) -> tuple[str, str, str]:
    label = "every page call ≤ 0.1 s warm (N=1,000,000)"
    n = M if M in sizes else max(sizes, default=None)
    r = _ok(results, n, "pages") if n else None
    if not r or not r.get("pages"):
        return (label, f"— ({_status(results, n, 'pages') if n else 'no run'})", "not measured")
    worst = max(r["pages"], key=lambda p: p["warm"])
    over = [p["name"] for p in r["pages"] if p["warm"] > 0.1]
    shown = f"slowest {worst['warm']:.3f} s ({worst['name']}); {len(over)} of {len(r['pages'])} over 0.1 s"
    if over:
        shown += f": {', '.join(over)}"
    if n != M:
        return (label, f"— (no 1M run; at N={n:,}: {shown})", "not measured")
    return (label, shown, "met" if not over else "missed")


def _peer_row(results: dict, sizes: list[int], n: int) -> tuple[str, str, str]:
    label = f"peer (pandas + openpyxl) ingest and recompute side by side (N={n:,})"
    if n not in sizes:
        return (label, f"— (no N={n:,} run)", "not measured")
    parts = []
    for ours, theirs in (("ingest", "peer_ingest"), ("recompute", "peer_recompute")):
        a, b = _ok(results, n, ours), _ok(results, n, theirs)
        if not (a and b):
            return (label, f"— ({_status(results, n, ours, theirs)})", "not measured")
        parts.append(
            f"{ours}: ours {fmt_s(a['seconds'])} s, peer {fmt_s(b['seconds'])} s "
            f"({_faster(a['seconds'], b['seconds'])})"
        )
    return (label, "; ".join(parts), "met")


def peer_rows(results: dict, sizes: list[int]) -> list[list[str]]:
    """Ours beside the peer for each size the peer ran at: N, work, seconds and ratio to the bare read of each."""
    out = []
    for n in sizes:
        read = _ok(results, n, "read_fastexcel")
        for ours, theirs in (("ingest", "peer_ingest"), ("recompute", "peer_recompute")):
            a, b = _ok(results, n, ours), _ok(results, n, theirs)
            if a and b:
                ra, rb = (f"{r:.2f}×" if (r := _ratio(x, read)) is not None else "—" for x in (a, b))
                out.append(
                    [
                        f"{n:,}",
                        ours,
                        fmt_s(a["seconds"]),
                        ra,
                        fmt_s(b["seconds"]),
                        rb,
                        _faster(a["seconds"], b["seconds"]),
                    ]
                )
    return out


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
                ratio = f"{r['seconds'] / base['seconds']:.2f}×" + ("" if ref in READS else f" {ref}")
            elif ok and ref is None:
                ratio = "1.00×"
            note = "ok" if ok else r.get("status", "")
            if ok and r.get("rows_read"):
                note = f"ok, {r['rows_read']:,} rows"
            if ok and r.get("via"):
                note += f"; via {r['via']}"
            if ok and step.startswith("undo_"):
                opened = r.get("kept_files_opened")
                note += (
                    f"; upload #{r['upload_id']} of {r['uploads']}, {r['rows_removed']:,} rows removed; "
                    f"kept files opened: {'unknown' if opened is None else opened}; "
                    f"without kept files: {_short(r.get('without_kept_files', '—'))}"
                )
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


def _short(outcome: str) -> str:
    """An undo outcome without the list of file names its message ends with (the JSON keeps it whole)."""
    parts = outcome.split(": ")
    return ": ".join(parts[:-1] if len(parts) > 2 else parts)


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


CAUSES, CAUSES_END = "<!-- causes -->", "<!-- /causes -->"
CAUSES_PLACEHOLDER = "_Not written yet: for each missed target above, the measured cause (profile, figures) and the next step._"


def kept_causes(path: Path) -> str:
    """The hand-written text between the causes markers of an existing report (empty when there is none), so
    a re-run keeps it. Without the closing marker the text runs to the next ``## `` heading."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    if CAUSES not in text:
        return ""
    kept = text.split(CAUSES, 1)[1]
    if CAUSES_END in kept:
        kept = kept.split(CAUSES_END, 1)[0]
    elif "\n## " in kept:
        kept = kept.split("\n## ", 1)[0]
    kept = kept.strip()
    return "" if kept == CAUSES_PLACEHOLDER else kept


def causes_section(targets: list, kept: str) -> str:
    """The missed targets of this run (generated) and the hand-written causes and next steps (kept)."""
    missed = [f"- {t[0]}: {t[1]}" for t in targets if t[2] == "missed"]
    listed = "\n".join(missed) if missed else "- none"
    return f"""## Missed targets: causes and next steps

Missed in this run (generated):

{listed}

The measured cause and the next step of each are written by hand between the two markers below; `bench/run.py`
keeps that text when it rewrites this file.

{CAUSES}
{kept or CAUSES_PLACEHOLDER}
{CAUSES_END}
"""


def write_doc(
    path: Path,
    facts: dict,
    gen_rows: list[list[str]],
    rows: list[list[str]],
    targets: list,
    argv: str,
    peer: list[list[str]] | None = None,
) -> None:
    pk = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    peer_text = (
        md_table(
            ["N", "work", "ours s", "ours ratio", "peer s", "peer ratio", "side by side"],
            peer,
        )
        if peer
        else "No peer step ran (the peer runs at N ≤ `--pandas-max`)."
    )
    text = f"""# Benchmarks

Generated by `bench/run.py` — do not edit by hand (except the causes of missed targets, between their
markers); re-run it:

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
dtypes="string").to_arrow()` for every sheet) — the weekly set, or the single sheet for `*_single` — and
for the undo steps to the `recompute` at that size. `ingest` starts from an empty store and an empty
uploads folder and calls `Store.ingest_many` when the store has it (the note says which ran). `undo_first`
and `undo_last` each run on a fresh copy of the weekly store with its kept files; the note counts the kept
files the timed undo opened (inotify on the uploads folder, nothing in the product wrapped) and, when it
opened any, what an undo on a copy without them does.

{md_table(["N", "step", "seconds", "peak RSS MB", "ratio", "note"], rows)}

## Peer side by side

The same ingest and recompute (default rules) written the way a careful analyst would with pandas + openpyxl
(bench/peer.py), beside ours; ratios to the bare fastexcel read of the weekly set.

{peer_text}

## Targets

Issue 14's targets, each at every size measured (the 1M targets at 1M only).

{md_table(["target", "measured", "verdict"], [list(t) for t in targets])}

{causes_section(targets, kept_causes(path))}{_changes_text()}"""
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
