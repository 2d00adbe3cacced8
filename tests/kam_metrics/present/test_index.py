"""kam_metrics.present.index: every lookup equals the filter it replaces, and a cached view is one viewer's only."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kam_metrics.access.roles import KAM, LOCAL, TEAM_LEAD, Viewer
from kam_metrics.access.scope import scope
from kam_metrics.engine import report
from kam_metrics.ingest.store import Store
from kam_metrics.present import customer, dispute_rows, mine, weekly
from kam_metrics.present.index import Positions, first_registration, for_phone, rows_of
from tests.kam_metrics.present.conftest import OVERLAP_PHONE, PHONE

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample"


def _same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.index) == list(want.index)
    pd.testing.assert_frame_equal(got, want)


def _random_frame(seed: int) -> pd.DataFrame:
    rnd = random.Random(seed)
    phones = [f"1{rnd.randint(3, 9)}{rnd.randint(0, 10**9 - 1):09d}" for _ in range(40)]
    kams = ["王伟", "李娜", "张强", ""]
    n = 500
    return pd.DataFrame(
        {
            "phone": pd.Series(
                [rnd.choice(phones) if rnd.random() > 0.05 else None for _ in range(n)], dtype="str"
            ),
            "kam": pd.Series(
                [rnd.choice(kams) if rnd.random() > 0.1 else None for _ in range(n)], dtype="str"
            ),
            "odd": pd.Series(
                [rnd.choice(["abc", "13800000000", "0086", None]) for _ in range(n)], dtype=object
            ),
        },
        index=np.arange(n) * 3 + 7,  # not 0..n-1: the lookup keeps the frame's own index
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_positions_give_the_rows_an_equality_filter_gives_on_a_random_frame(seed):
    frame = _random_frame(seed)
    for column in ("phone", "kam", "odd"):
        positions = Positions(frame[column])
        asked = [*frame[column].dropna().unique(), "13999999999", "nobody", "١٣٨٠٠٠٠٠٠٠٠", None, 5]
        for value in asked:
            got = positions.get(value)
            want = np.flatnonzero((frame[column] == value).fillna(False).to_numpy(dtype=bool))
            assert (list(got) if got is not None else []) == list(want), (column, value)


def test_a_phone_column_with_one_value_that_is_not_eleven_digits_is_still_looked_up_exactly():
    frame = pd.DataFrame({"phone": ["13800000001", "8613800000001", "13800000001", "138-0000-0001"]})
    positions = Positions(frame["phone"])
    assert list(positions.get("13800000001")) == [0, 2]
    assert list(positions.get("8613800000001")) == [1]
    assert list(positions.get("138-0000-0001")) == [3]
    assert positions.get("13800000002") is None


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample workbooks ingested into a fresh store, and its Results."""
    db = tmp_path_factory.mktemp("sample") / "kam.duckdb"
    store = Store(db)
    for path in sorted(SAMPLE.glob("*.xlsx")):
        store.ingest(path)
    results = report.compute(store)
    yield results
    store.close()


def test_rows_of_and_for_phone_equal_the_filters_on_the_sample(sample):
    phones = sorted(set(sample.leads["phone"]) | set(sample.registrations["phone"]))[:25] + ["13900000000"]
    for phone in phones:
        one = for_phone(sample, phone)
        for name in ("registrations", "leads", "visits", "commissions", "claims"):
            frame = getattr(sample, name)
            _same_rows(getattr(one, name), frame[frame["phone"] == phone])
            _same_rows(rows_of(sample, name, "phone", phone), frame[frame["phone"] == phone])
        assert one.kams is sample.kams and one.weekly is sample.weekly  # everything else whole
    for kam in sample.kams["kam"]:
        for name in ("units", "leads", "visits"):
            frame = getattr(sample, name)
            _same_rows(rows_of(sample, name, "kam", kam), frame[frame["kam"] == kam])


def test_first_registration_is_each_phones_earliest_registration_on_the_sample(sample):
    earliest: dict[str, pd.Timestamp] = {}
    for phone, at in zip(sample.registrations["phone"], sample.registrations["registered_at"], strict=True):
        if phone not in earliest or at < earliest[phone]:
            earliest[phone] = at
    assert earliest  # the sample has a registry
    lookup = first_registration(sample)
    for phone, at in earliest.items():
        assert lookup.get(phone) == at
    assert lookup.get("13900000000") is None
    assert lookup.get(None) is None


def test_the_index_is_kept_on_the_results_object_and_not_on_a_copy(story):
    assert first_registration(story) is first_registration(story)
    copy = dataclasses.replace(story)
    assert first_registration(copy) is not first_registration(story)


def test_a_scoped_results_cut_to_one_phone_stays_scoped_for_the_same_viewer(story):
    kam = Viewer(login="w", role=KAM, kam="王伟")
    scoped = scope(story, kam)
    one = for_phone(scoped, PHONE)
    assert scope(one, kam) is one
    assert set(one.leads["kam"]) == {"王伟"}


def test_each_kam_gets_their_own_page_from_the_same_results(story):
    wang, li = Viewer(login="w", role=KAM, kam="王伟"), Viewer(login="l", role=KAM, kam="李娜")
    first = mine.view(story, wang, "zh")
    second = mine.view(story, li, "zh")
    assert (first.kam, second.kam) == ("王伟", "李娜")
    assert first.customers["手机号"].tolist() == [PHONE]  # 王伟's own lead, in full
    # 李娜's own two leads, in full, newest first (09-09 11:00 of 138…5678, then 09-08 12:00 of 139…0003)
    assert second.customers["手机号"].tolist() == [PHONE, OVERLAP_PHONE]
    assert mine.view(story, wang, "zh").customers["手机号"].tolist() == [PHONE]


def test_each_team_lead_gets_their_teams_weekly_page_and_the_director_everyones(story):
    one = Viewer(login="a", role=TEAM_LEAD, team="一组")
    two = Viewer(login="b", role=TEAM_LEAD, team="二组")
    assert weekly.view(story, one, "zh").kams == ["王伟"]
    assert weekly.view(story, two, "zh").kams == ["李娜"]
    assert weekly.view(story, LOCAL, "zh").kams == ["王伟", "李娜"]
    assert set(weekly.view(story, two, "zh").cells["kam"]) == {"李娜"}


def test_a_frame_changed_by_the_caller_does_not_change_the_next_call(story):
    wang = Viewer(login="w", role=KAM, kam="王伟")
    page = mine.view(story, wang, "zh")
    page.customers.loc[0, "手机号"] = "changed"
    headers = list(page.statement.columns)
    del page.statement[headers[0]]
    page.weeks["x"] = 1
    again = mine.view(story, wang, "zh")
    assert again.customers["手机号"].tolist() == [PHONE]
    assert "x" not in again.weeks.columns
    assert list(again.statement.columns) == headers
    grid = weekly.view(story, LOCAL, "zh").cells
    grid["kam"] = "nobody"
    assert set(weekly.view(story, LOCAL, "zh").cells["kam"]) == {"王伟", "李娜"}


def test_a_customer_outside_a_kams_rows_is_not_shown_after_the_director_opened_it(story):
    customer.view(story, LOCAL, "zh", phone=OVERLAP_PHONE)
    wang = Viewer(login="w", role=KAM, kam="王伟")
    assert customer.visible_phones(story, wang) == {PHONE}
    li = Viewer(login="l", role=KAM, kam="李娜")
    assert customer.visible_phones(story, li) == {PHONE, OVERLAP_PHONE}


@pytest.mark.parametrize("kind", ["lead", "visit", "unit", "deal"])
@pytest.mark.parametrize("refused_only", [False, True])
def test_dispute_rows_are_those_each_viewer_may_see_whoever_asked_first(story, kind, refused_only):
    viewers = [
        LOCAL,
        Viewer(login="w", role=KAM, kam="王伟"),
        Viewer(login="l", role=KAM, kam="李娜"),
        Viewer(login="a", role=TEAM_LEAD, team="一组"),
        Viewer(login="b", role=TEAM_LEAD, team="二组"),
    ]
    teams = dispute_rows.teams_of(story)
    everything = dispute_rows.rows(story, LOCAL, kind, "zh", refused_only=refused_only)
    for viewer in viewers:
        got = dispute_rows.rows(story, viewer, kind, "zh", refused_only=refused_only)
        if kind == "deal":
            # 王伟 holds the one deal (138…5678); 李娜 reported that phone too, so her side sees it, and as one
            # another KAM holds, it is a refused row for her and her team lead only
            holders = {"local": 1, "w": 1, "l": 1, "a": 1, "b": 1}
            if refused_only:
                holders = {"local": 0, "w": 0, "l": 1, "a": 0, "b": 1}
            assert [(r.kam, r.phone) for r in got] == [("王伟", PHONE)] * holders[viewer.login]
        else:
            want = [r for r in everything if dispute_rows.may_see_kam(viewer, r.kam, teams)]
            assert got == want
