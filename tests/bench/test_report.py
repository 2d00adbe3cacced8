"""The benchmark report's verdicts on issue 14's targets, from a hand-made results dict (no step is run)."""

from __future__ import annotations

from pathlib import Path

from bench import report

M, K, T = 1_000_000, 100_000, 10_000


def ok(seconds: float, rss: float = 300.0, **facts) -> dict:
    return {"status": "ok", "seconds": seconds, "peak_rss_mb": rss, **facts}


def results_at(n: int, scale: float) -> dict:
    """A run at N = n whose every ratio is chosen: read 10 s, single read 4 s (times ``scale``)."""
    r = {
        "read_fastexcel": ok(10 * scale),
        "read_single_fastexcel": ok(4 * scale),
        "ingest": ok(19 * scale, via="ingest_many"),  # 1.9×: met
        "ingest_single": ok(6 * scale, via="ingest_many"),  # 1.5×: missed
        "recompute": ok(2 * scale, rss=900),
        "recompute_p30": ok(5 * scale, rss=1100),
        "recompute_v12": ok(2.5 * scale, rss=950),  # 0.25×: met
        "recompute_v12_p30": ok(7 * scale, rss=1000),  # 0.7×: missed
        "undo_first": ok(1.5 * scale, kept_files_opened=0, uploads=52),  # 0.75× recompute, no file: met
        "undo_last": ok(1 * scale, kept_files_opened=3, uploads=52),  # 0.5× but files read: missed
        "export": ok(9 * scale, rss=1500),  # 0.9×: met
        "pages": ok(
            1.0, pages=[{"name": "a", "cold": 0.3, "warm": 0.05}, {"name": "b", "cold": 1, "warm": 0.4}]
        ),
        "peer_ingest": ok(38 * scale),
        "peer_recompute": ok(1 * scale),
    }
    return {(n, step): v for step, v in r.items()}


def verdicts(rows) -> dict[str, tuple[str, str]]:
    return {label: (measured, verdict) for label, measured, verdict in rows}


def test_every_target_of_issue_14_gets_its_verdict_at_every_size():
    results = results_at(T, 0.1) | results_at(K, 1.0) | results_at(M, 10.0)
    rows = report.evaluate_targets(results, [T, K, M], {"seconds": 2.5, "measured_at": "x", "commit": "abc"})
    got = {label: verdict for label, _, verdict in rows}
    for n in (T, K, M):
        at = f"N={n:,}"
        assert got[f"weekly-set ingest ≤ 2× bare read ({at})"] == "met"
        assert got[f"single-sheet ingest ≤ 1.3× bare read ({at})"] == "missed"
        assert got[f"undo of the first of 52 uploads ≤ 1× recompute, no kept file read ({at})"] == "met"
        assert got[f"undo of the last of 52 uploads ≤ 1× recompute, no kept file read ({at})"] == "missed"
        assert (
            got[f"recompute ≤ 0.3× bare read, default rules, with v1.2's closes and adjudications ({at})"]
            == "met"
        )
        assert (
            got[
                f"recompute ≤ 0.6× bare read, protection_days = 30, with v1.2's closes and adjudications ({at})"
            ]
            == "missed"
        )
    assert got["peak RSS of the recompute ≤ 1 GB (N=1,000,000)"] == "missed"  # recompute_p30's 1,100 MB
    assert got["export ≤ 1× bare read (N=1,000,000)"] == "met"
    assert got["every page call ≤ 0.1 s warm (N=1,000,000)"] == "missed"
    assert got["peer (pandas + openpyxl) ingest and recompute side by side (N=10,000)"] == "met"
    assert got["peer (pandas + openpyxl) ingest and recompute side by side (N=100,000)"] == "met"
    assert got["upload of the sample's week 12 → refreshed overview ≤ 2 s, real browser"] == "missed"
    assert len(rows) == 3 * 6 + 6

    shown = verdicts(rows)
    assert shown["peak RSS of the recompute ≤ 1 GB (N=1,000,000)"][0] == (
        "max 1,100 MB (recompute_p30); every engine step: max 1,500 MB (export)"
    )
    assert (
        shown["every page call ≤ 0.1 s warm (N=1,000,000)"][0] == "slowest 0.400 s (b); 1 of 2 over 0.1 s: b"
    )
    assert (
        shown["weekly-set ingest ≤ 2× bare read (N=1,000,000)"][0] == "1.90× (190.0 s / 100.0 s); ingest_many"
    )
    assert shown["undo of the first of 52 uploads ≤ 1× recompute, no kept file read (N=100,000)"][0] == (
        "0.75× recompute (1.500 s / 2.000 s); kept files opened: 0"
    )
    assert shown["peer (pandas + openpyxl) ingest and recompute side by side (N=100,000)"][0] == (
        "ingest: ours 19.0 s, peer 38.0 s (ours is 2.0× faster); "
        "recompute: ours 2.000 s, peer 1.000 s (ours is 2.0× slower)"
    )


def test_a_quick_run_at_10k_says_which_targets_it_could_not_measure():
    results = results_at(T, 0.1)
    results[(T, "undo_first")] = {"status": "error: FileNotFoundError: cannot undo"}
    rows = verdicts(report.evaluate_targets(results, [T], None))
    assert rows["undo of the first of 52 uploads ≤ 1× recompute, no kept file read (N=10,000)"] == (
        "— (undo_first: error: FileNotFoundError: cannot undo)",
        "not measured",
    )
    assert rows["export ≤ 1× bare read (N=1,000,000)"] == (
        "— (no 1M run; at N=10,000: 0.90× (0.900 s / 1.000 s))",
        "not measured",
    )
    assert rows["peak RSS of the recompute ≤ 1 GB (N=1,000,000)"][1] == "not measured"
    assert rows["every page call ≤ 0.1 s warm (N=1,000,000)"][1] == "not measured"
    assert rows["peer (pandas + openpyxl) ingest and recompute side by side (N=100,000)"] == (
        "— (no N=100,000 run)",
        "not measured",
    )
    assert rows["upload of the sample's week 12 → refreshed overview ≤ 2 s, real browser"] == (
        f"— ({report.BROWSER_HOW})",
        "not measured",
    )


def test_the_peer_table_puts_ours_beside_the_peer():
    assert report.peer_rows(results_at(T, 1.0), [T]) == [
        ["10,000", "ingest", "19.0", "1.90×", "38.0", "3.80×", "ours is 2.0× faster"],
        ["10,000", "recompute", "2.000", "0.20×", "1.000", "0.10×", "ours is 2.0× slower"],
    ]


def test_a_rewrite_keeps_the_hand_written_causes(tmp_path: Path):
    out = tmp_path / "benchmarks.md"
    facts = {"packages": {}, "cpu": "c", "logical_cores": 2, "os": "o", "python": "3", "commit": "x"}
    facts |= {"date": "d", "load": "0"}
    targets = [("t1", "3.00×", "missed"), ("t2", "0.10×", "met")]
    report.write_doc(out, facts, [], [], targets, "python bench/run.py")
    first = out.read_text(encoding="utf-8")
    assert "## Missed targets: causes and next steps" in first
    assert "- t1: 3.00×" in first and "- t2" not in first
    assert report.kept_causes(out) == ""  # only the placeholder so far

    hand = "- t1: the anti-join re-sorts every stored lead (profile: 70 %); next: keep a sorted key index."
    out.write_text(first.replace(report.CAUSES_PLACEHOLDER, hand), encoding="utf-8")
    report.write_doc(out, facts, [], [], targets, "python bench/run.py")
    again = out.read_text(encoding="utf-8")
    assert report.kept_causes(out) == hand
    assert again.count(hand) == 1 and report.CAUSES_PLACEHOLDER not in again
