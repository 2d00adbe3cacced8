"""Helpers shared by the tests: a deal row, a real CSV file as a director would save it, the CLI as a child process."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from kam_metrics.contract.sheets import KINDS

ROOT = Path(__file__).resolve().parents[1]

# SPEC §7 (v1.2), transcribed from the spec's table (not from the code): sheet → columns, in order.
SPEC_SHEETS = {
    "summary": "kam, team, weeks_assessed, weeks_met, fines_total, commission_total, clawback_total, "
    "adjustments_total, net_total, missed_streak, flag",
    "weekly": "kam, week, week_start, units, batches, numbers, units_short, batches_short, numbers_short, fine, "
    "met, missed_streak, flag, in_progress",
    "statement": "kam, month, commission, clawback, fines, adjustments, net, closed",
    "commissions": "kam, phone, property, signed_at, salesperson, salesperson_commission, type, reason, "
    "kam_commission, salesperson_net, line, month, cancelled_at, adjudication",
    "leads": "kam, phone, customer_name, reported_at, status, adjudication",
    "visits": "kam, phone, customer_name, visited_at, salesperson, status, adjudication",
    "units": "kam, date, unit_name, status, adjudication",
    "rejected": "file, sheet, row, reason, raw",
    "warnings": "file, sheet, row, column, reason",
    "adjustments": "kam, month, source_month, kind, ref, amount, reason",
    "adjudications": "id, kind, ref, verdict, kam, reason, decided_by, decided_at, dispute, orphaned",
    "rules": "key, value, effective_from",
}


def deal_row(phone: str, signed_at: str, prop: str, commission: str = "4000", **extra) -> dict:
    """A row of the deals sheet sold by 李销售 (``extra``: other columns, e.g. status and cancelled_at)."""
    return {
        "signed_at": signed_at,
        "phone": phone,
        "property": prop,
        "salesperson": "李销售",
        "salesperson_commission": commission,
        **extra,
    }


def write_csv(path: Path, kind: str, rows: list[dict]) -> Path:
    """A CSV as a director would save it: canonical Chinese headers of ``kind``, one row per dict.

    Dict keys are field names (``phone``, ``reported_at``…); values are written as given (text).
    """
    fields = [f for f in KINDS[kind].fields if any(f.name in r for r in rows)] or list(KINDS[kind].fields)
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow([fld.canonical for fld in fields])
        for r in rows:
            w.writerow(["" if r.get(fld.name) is None else r.get(fld.name) for fld in fields])
    return path


def run_cli(
    *args: object,
    lang: str | None = None,
    env: dict | None = None,
    timeout: float = 600,
    make_db_folder: bool = True,
    stdin: str | None = None,
) -> subprocess.CompletedProcess:
    """``python -m kam_metrics [--lang LANG] ARGS`` from the repository root, as a child process (text output).

    ``env`` adds to this process's environment. A store is created only in an existing folder (the CLI refuses a
    typo'd one), so the folder of a ``--db`` is made first unless ``make_db_folder`` is false."""
    if make_db_folder and "--db" in args:
        Path(args[list(args).index("--db") + 1]).parent.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "kam_metrics", *(("--lang", lang) if lang else ()), *map(str, args)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
