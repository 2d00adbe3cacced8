"""The vectorised attribution (protection_days = 0) decides exactly as the reference pass (SPEC §3).

kam_metrics.engine has two ways to decide leads and visits: the time-ordered pass (`reference.decide`), which
handles lapsing claims, and, when claims never lapse, DuckDB/Arrow queries (`attribution._fast_tables`). Both must
give the same statuses, claim holders, claims and deal lines on any stored data.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_metrics.contract.codes import DEAL_TYPES, LEAD_STATUSES, LINES, UNATTRIBUTED_REASONS, VISIT_STATUSES
from kam_metrics.contract.rules import Rules, RuleSet, ruleset_from_dict
from kam_metrics.contract.sheets import KINDS
from kam_metrics.engine import attribution, report
from kam_metrics.ingest.store import Store

DAY0 = dt.date(2026, 3, 2)  # a Monday
KAMS = ("张三", "李四", "王五")
PHONES = ("13800000001", "13800000002", "13800000003")
OTHER, UNREPORTED, LATE = "13800000004", "13800000005", "13800000006"  # phones only the fixed case uses
# Names that match, mismatch, are missing, or are a surname with an honorific (SPEC §3 visit check 5).
NAMES = (None, "王伟", "王先生", "王", "李女士", "李娜", "Wang")
SALESPEOPLE = (None, "赵六")

# A moment: day 0-3, date-only (None) or one of a few times, so rows often tie on date or on time.
moment = st.tuples(st.integers(0, 3), st.sampled_from((None, "09:00", "10:00", "10:00:30", "23:00")))


def stamp(m) -> str:
    day, time = m
    text = (DAY0 + dt.timedelta(days=day)).isoformat()
    return text if time is None else f"{text} {time}"


registration = st.builds(
    lambda m, phone, name: {"registered_at": stamp(m), "phone": phone, "customer_name": name},
    moment,
    st.sampled_from(PHONES),
    st.sampled_from(NAMES),
)
lead = st.builds(
    lambda m, kam, phone, name: {"reported_at": stamp(m), "kam": kam, "phone": phone, "customer_name": name},
    moment,
    st.sampled_from(KAMS),
    st.sampled_from(PHONES),
    st.sampled_from(NAMES),
)
visit = st.builds(
    lambda m, kam, phone, name, sales: {
        "visited_at": stamp(m),
        "kam": kam,
        "phone": phone,
        "customer_name": name,
        "salesperson": sales,
    },
    moment,
    st.sampled_from(KAMS),
    st.sampled_from(PHONES),
    st.sampled_from(NAMES),
    st.sampled_from(SALESPEOPLE),
)
deal = st.builds(
    lambda day, phone, prop, cancelled: {
        "signed_at": (DAY0 + dt.timedelta(days=day)).isoformat(),
        "phone": phone,
        "property": prop,
        "salesperson": "赵六",
        "salesperson_commission": "4000",
        "status": "退房" if cancelled else "",
        "cancelled_at": (DAY0 + dt.timedelta(days=day + 1)).isoformat() if cancelled else "",
    },
    st.integers(0, 4),
    st.sampled_from(PHONES),
    st.sampled_from(("1-101", "1-102")),
    st.booleans(),
)
# One upload: rows of each kind; a store gets one to three uploads, so upload order breaks ties too.
upload = st.fixed_dictionaries(
    {
        "registrations": st.lists(registration, max_size=3),
        "leads": st.lists(lead, max_size=6),
        "visits": st.lists(visit, max_size=5),
        "deals": st.lists(deal, max_size=2),
    }
)


def write_upload(path: Path, rows: dict[str, list[dict]]) -> Path:
    """A workbook with one sheet per kind that has rows, under the canonical Chinese headers, text cells."""
    wb = xlsxwriter.Workbook(str(path))
    for kind, records in rows.items():
        if not records:
            continue
        fields = [f for f in KINDS[kind].fields if f.name in records[0]]
        ws = wb.add_worksheet(KINDS[kind].aliases[0])
        ws.write_row(0, 0, [f.canonical for f in fields])
        for i, record in enumerate(records, start=1):
            for j, f in enumerate(fields):
                value = record[f.name]
                if value not in (None, ""):
                    ws.write_string(i, j, value)
    if not wb.worksheets():
        wb.add_worksheet("备注").write_string(0, 0, "empty")
    wb.close()
    return path


# Rule sets the paths must agree under: the defaults, 防截客 on (SPEC §3 1b), and versions changing 1b and the
# commission keys in the middle of the generated days (SPEC §6).
RULE_SETS = (
    RuleSet(),
    RuleSet(base=Rules(min_lead_minutes=60)),
    ruleset_from_dict(
        {
            "changes": [
                {"effective_from": DAY0 + dt.timedelta(days=1), "min_lead_minutes": 30},
                {"effective_from": DAY0 + dt.timedelta(days=2), "min_lead_minutes": 0,
                 "commission": {"visit_share": 0.25, "lead_deal_fixed": 300}},
            ]
        }
    ),
)  # fmt: skip


def both_ways(uploads: list[dict], rules: RuleSet | None = None, path: str = "fast"):
    with tempfile.TemporaryDirectory(prefix="kam-fastpath-") as tmp:
        store = Store(Path(tmp) / "kam.duckdb")
        try:
            for i, rows in enumerate(uploads):
                store.ingest(write_upload(Path(tmp) / f"upload{i}.xlsx", rows))
            rules = rules or RuleSet()
            fast = attribution.attribute(store.cursor(), rules, path=path)
            slow = attribution.attribute(store.cursor(), rules, path="reference")
        finally:
            store.close()
    return fast, slow


def assert_same(fast, slow) -> None:
    for name in ("leads", "visits", "units", "claims", "commissions"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), obj=name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(upload, min_size=1, max_size=3), st.sampled_from(RULE_SETS))
def test_fast_path_decides_as_the_reference_pass(uploads, rules):
    fast, slow = both_ways(uploads, rules)
    assert_same(fast, slow)


# Claims lapsing after 1 or 2 days over the generated 4 days (deals up to day 4): some phones see a lapse, others
# none, so the split path hands some phones to the pass and decides the rest vectorised.
LAPSING = (
    RuleSet(base=Rules(protection_days=1)),
    RuleSet(base=Rules(protection_days=2, min_lead_minutes=60)),
    ruleset_from_dict(
        {
            "protection_days": 1,
            "changes": [
                {"effective_from": DAY0 + dt.timedelta(days=2), "commission": {"visit_share": 0.25}},
            ],
        }
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(upload, min_size=1, max_size=3), st.sampled_from(LAPSING))
def test_split_path_decides_as_the_reference_pass(uploads, rules):
    split, slow = both_ways(uploads, rules, path="split")
    assert_same(split, slow)


def test_split_path_keeps_the_lapse_of_a_phone_it_decides_vectorised():
    """Two phones under protection_days = 2: one lead and a deal the next day (no claim can lapse: vectorised,
    its claim still lapses 2 days after the lead), and one lead whose deal comes 3 days later (the pass: the
    claim has lapsed and the deal is unattributed)."""
    uploads = [
        {
            "leads": [
                {"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": PHONES[0], "customer_name": None},
                {"reported_at": "2026-03-02 10:00", "kam": "李四", "phone": PHONES[1], "customer_name": None},
            ],
            "deals": [
                {"signed_at": "2026-03-03", "phone": PHONES[0], "property": "1-101", "salesperson": "赵六",
                 "salesperson_commission": "4000", "status": "", "cancelled_at": ""},
                {"signed_at": "2026-03-05", "phone": PHONES[1], "property": "1-102", "salesperson": "赵六",
                 "salesperson_commission": "4000", "status": "", "cancelled_at": ""},
            ],
        }
    ]  # fmt: skip
    split, slow = both_ways(uploads, RuleSet(base=Rules(protection_days=2)), path="split")
    assert_same(split, slow)
    march_4_10h = int(dt.datetime(2026, 3, 4, 10, 0).replace(tzinfo=dt.UTC).timestamp())
    assert split.claims[["phone", "kam", "lapse_ts"]].values.tolist() == [
        [PHONES[0], "张三", march_4_10h],
        [PHONES[1], "李四", march_4_10h],
    ]
    assert split.commissions[["phone", "kam", "type", "reason"]].fillna({"kam": "-"}).values.tolist() == [
        [PHONES[0], "张三", "lead_deal", ""],
        [PHONES[1], "-", "unattributed", "claim_lapsed"],
    ]


def test_fast_path_covers_every_status():
    """A fixed case reaching every lead and visit status and both deal types, decided both ways."""
    uploads = [
        {
            "registrations": [
                {"registered_at": "2026-03-02 09:00", "phone": PHONES[2], "customer_name": None}
            ],
            "leads": [
                {"reported_at": "2026-03-02", "kam": "张三", "phone": PHONES[0], "customer_name": "王先生"},
                {"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": PHONES[0], "customer_name": None},
                {"reported_at": "2026-03-02 11:00", "kam": "李四", "phone": PHONES[0], "customer_name": None},
                {"reported_at": "2026-03-02 10:00", "kam": "李四", "phone": PHONES[2], "customer_name": None},
                {"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": OTHER, "customer_name": None},
                {
                    "reported_at": "2026-03-02 10:00",
                    "kam": "王五",
                    "phone": PHONES[1],
                    "customer_name": "李娜",
                },
                {"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": LATE, "customer_name": None},
            ],
            "visits": [
                {
                    "visited_at": "2026-03-03 09:00",
                    "kam": "张三",
                    "phone": PHONES[0],
                    "customer_name": "王伟",
                    "salesperson": "赵六",
                },
                {
                    "visited_at": "2026-03-03 10:00",
                    "kam": "张三",
                    "phone": PHONES[0],
                    "customer_name": "王伟",
                    "salesperson": "赵六",
                },
                {
                    "visited_at": "2026-03-03 09:00",
                    "kam": "李四",
                    "phone": PHONES[0],
                    "customer_name": None,
                    "salesperson": "赵六",
                },
                {
                    "visited_at": "2026-03-03 09:00",
                    "kam": "王五",
                    "phone": PHONES[2],
                    "customer_name": None,
                    "salesperson": "赵六",
                },
                {
                    "visited_at": "2026-03-02 12:00",
                    "kam": "王五",
                    "phone": PHONES[1],
                    "customer_name": "王伟",
                    "salesperson": "赵六",
                },
                {
                    "visited_at": "2026-03-03 12:00",
                    "kam": "王五",
                    "phone": PHONES[1],
                    "customer_name": "李娜",
                    "salesperson": None,
                },
                # the claim holder's first visit, reported, names match, but handed to no salesperson
                {
                    "visited_at": "2026-03-02 15:00",
                    "kam": "张三",
                    "phone": OTHER,
                    "customer_name": None,
                    "salesperson": None,
                },
                # reported 10 minutes before the visit, under min_lead_minutes = 30
                {
                    "visited_at": "2026-03-02 10:10",
                    "kam": "张三",
                    "phone": LATE,
                    "customer_name": None,
                    "salesperson": "赵六",
                },
            ],
            "deals": [
                {
                    "signed_at": "2026-03-04",
                    "phone": PHONES[0],
                    "property": "1-101",
                    "salesperson": "赵六",
                    "salesperson_commission": "4000",
                    "status": "",
                    "cancelled_at": "",
                },
                {
                    "signed_at": "2026-03-04",
                    "phone": PHONES[1],
                    "property": "1-102",
                    "salesperson": "赵六",
                    "salesperson_commission": "4000",
                    "status": "退房",
                    "cancelled_at": "2026-03-05",
                },
                # every lead of the phone was an overlap; and a phone nobody reported
                {
                    "signed_at": "2026-03-04",
                    "phone": PHONES[2],
                    "property": "1-103",
                    "salesperson": "赵六",
                    "salesperson_commission": "4000",
                    "status": "",
                    "cancelled_at": "",
                },
                {
                    "signed_at": "2026-03-04",
                    "phone": UNREPORTED,
                    "property": "1-104",
                    "salesperson": "赵六",
                    "salesperson_commission": "4000",
                    "status": "",
                    "cancelled_at": "",
                },
            ],
        }
    ]
    fast, slow = both_ways(uploads, RuleSet(base=Rules(min_lead_minutes=30)))
    assert_same(fast, slow)
    assert set(fast.leads["status"]) == set(LEAD_STATUSES)
    assert set(fast.visits["status"]) == set(VISIT_STATUSES)
    assert set(fast.commissions["type"]) == set(DEAL_TYPES)
    # claim_lapsed needs a claim that lapses: the fast path never sees one (test_commissions covers it)
    assert set(fast.commissions["reason"]) == {""} | set(UNATTRIBUTED_REASONS) - {"claim_lapsed"}
    assert set(fast.commissions["line"]) == set(LINES)


def test_compute_uses_the_reference_pass_when_claims_lapse(store, upload):
    """protection_days > 0 goes through the pass; forcing the fast path there is refused."""
    upload("leads", [{"reported_at": "2026-03-02 10:00", "kam": "张三", "phone": PHONES[0]}])
    with pytest.raises(ValueError, match="protection_days = 0"):
        attribution.attribute(store.cursor(), Rules(protection_days=30), path="fast")
    with pytest.raises(ValueError, match="unknown attribution path"):
        report.compute(store, path="vectorised")
    assert list(report.compute(store, Rules(protection_days=30)).leads["status"]) == ["valid"]
