"""Results before and after a change: dump every Results frame of the benchmark store, then compare two dumps.

    python bench/compare.py dump --n 10000 --out /tmp/before-10k [--db STORE]
    python bench/compare.py diff /tmp/before-10k /tmp/after-10k

``dump`` ingests the weekly set of size N (bench/generate.py, cached) into a fresh store — or opens ``--db`` — and
computes it four ways: default rules and protection_days = 30, each on the plain store and on its v1.2 copy (the
first 3 months closed and 100 adjudications, as bench/steps.py prepares it). Every frame of every Results is written
as parquet, with the store's data tables (every column, sorted) beside them. ``diff`` compares two dumps frame by
frame with ``pandas.testing.assert_frame_equal`` (leaving out the VOLATILE columns) and exits 1 on the first difference, naming it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VARIANTS = {"default": 0, "p30": 30}
# Columns that differ between any two dumps without any change of code: the wall-clock times of the v1.2 copy's
# closes and adjudications (made at dump time), and the weekly files' hashes when the cache was regenerated
# (xlsxwriter writes the creation time into each workbook).
VOLATILE = {"decided_at", "closed_at", "sha256", "stored_path"}


def _frames(results) -> dict[str, pd.DataFrame]:
    from kam_metrics.contract.results import RESULT_COLUMNS

    out = {}
    for name in RESULT_COLUMNS:
        frame = getattr(results, name, None)
        if isinstance(frame, pd.DataFrame):
            out[name] = frame.reset_index(drop=True)
    return out


def store_tables(store) -> dict[str, pd.DataFrame]:
    """The store's data, ledger-count and problem tables, every column, in a fixed order (rowid-free)."""
    from kam_metrics.contract.sheets import SHEET_KINDS

    cur = store.cursor()
    out = {}
    for table in [k.name for k in SHEET_KINDS] + ["rejected", "warnings", "upload_sheets", "uploads"]:
        frame = cur.execute(f"select * from {table}").df()
        cols = [c for c in frame.columns if c not in ("uploaded_at",)]
        frame = frame[cols]
        out[f"store_{table}"] = frame.sort_values(cols, kind="stable", na_position="first").reset_index(
            drop=True
        )
    cur.close()
    return out


def dump(n: int, out: Path, db: Path | None) -> None:
    from bench import generate
    from bench import steps as s
    from kam_metrics.ingest.store import Store

    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    work.mkdir(exist_ok=True)
    if db is None:
        weeks, _ = generate.generate_all(n)
        t0 = time.perf_counter()
        seconds, _ = s._ingest(weeks, work / s.WEEKS_DB)
        print(f"ingested {len(weeks)} files in {seconds:.1f} s", flush=True)
        del t0
    else:
        import shutil

        shutil.copyfile(db, work / s.WEEKS_DB)
    s._v12_store(work)
    for store_name, tag in ((s.WEEKS_DB, "plain"), (s.V12_DB, "v12")):
        store = Store(work / store_name)
        try:
            if tag == "plain":
                for name, frame in store_tables(store).items():
                    frame.to_parquet(out / f"{name}.parquet")
            for variant, days in VARIANTS.items():
                t0 = time.perf_counter()
                results = s._compute(store, days)
                print(f"{tag} {variant}: computed in {time.perf_counter() - t0:.1f} s", flush=True)
                for name, frame in _frames(results).items():
                    frame.to_parquet(out / f"{tag}-{variant}-{name}.parquet")
        finally:
            store.close()
    print(f"wrote {out}")


def diff(a: Path, b: Path) -> int:
    names = sorted(p.name for p in a.glob("*.parquet"))
    other = sorted(p.name for p in b.glob("*.parquet"))
    if names != other:
        print(
            f"different frames: only in {a}: {sorted(set(names) - set(other))}; only in {b}: {sorted(set(other) - set(names))}"
        )
        return 1
    for name in names:
        fa, fb = pd.read_parquet(a / name), pd.read_parquet(b / name)
        fa, fb = (f.drop(columns=[c for c in f.columns if c in VOLATILE]) for f in (fa, fb))
        try:
            pd.testing.assert_frame_equal(fa, fb)
        except AssertionError as e:
            print(f"{name}: {e}")
            return 1
    print(f"identical: {len(names)} frames")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--n", type=int, default=10_000)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--db", type=Path, help="an ingested weekly-set store to copy instead of ingesting")
    c = sub.add_parser("diff")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "dump":
        dump(a.n, a.out, a.db)
        return 0
    return diff(a.a, a.b)


if __name__ == "__main__":
    raise SystemExit(main())
