"""SPEC §2 v1.2: "later" is (data date, upload order); repeats change nothing; superseded rows; ids never reused."""

from __future__ import annotations

import datetime as dt

from kam_metrics.ingest import migrations
from kam_metrics.ingest.store import Store
from tests.kam_metrics.ingest.test_store import VALID

MARCH_END = dt.date(2026, 3, 31)
SIGNED = VALID["deals"]
CANCELLED = VALID["deals"] | {"status": "退房", "cancelled_at": "2026-03-20"}


def statuses(compute) -> list[tuple]:
    return sorted(compute(as_of=MARCH_END).commissions[["status", "line"]].itertuples(index=False, name=None))


def test_an_uploads_data_date_is_the_latest_date_among_its_accepted_rows(upload):
    rows = [VALID["leads"], VALID["leads"] | {"phone": "13900000009", "reported_at": "2026-03-07 09:00"}]
    assert upload("leads", rows).data_date == dt.date(2026, 3, 7)
    assert upload("deals", [CANCELLED]).data_date == dt.date(2026, 3, 20)  # cancelled_at counts


def test_rejected_rows_do_not_count_for_the_data_date(upload):
    bad = VALID["leads"] | {"reported_at": "2026-03-09 10:00", "kam": ""}
    assert upload("leads", [VALID["leads"], bad]).data_date == dt.date(2026, 3, 3)


def test_a_roster_only_upload_takes_the_highest_data_date_of_the_uploads_before_it(upload, store):
    assert upload("roster", [VALID["roster"]]).data_date is None  # none before it: the earliest
    upload("deals", [CANCELLED])
    upload("leads", [VALID["leads"]])
    later = upload("roster", [VALID["roster"] | {"team": "B组"}])
    assert later.data_date == dt.date(2026, 3, 20)
    stored = store.cursor().execute("select upload_id, data_date from uploads order by 1").fetchall()
    assert stored == [
        (1, None),
        (2, dt.date(2026, 3, 20)),
        (3, dt.date(2026, 3, 3)),
        (4, dt.date(2026, 3, 20)),
    ]


def test_a_deal_row_of_an_earlier_data_date_is_superseded_by_the_stored_cancellation(upload, compute):
    upload("leads", [VALID["leads"]])
    upload("deals", [CANCELLED])
    cancelled = statuses(compute)
    older = upload("deals", [SIGNED | {"amount": "1000000"}])
    assert (older.sheets[0].accepted, older.sheets[0].duplicates, older.sheets[0].superseded) == (1, 0, 1)
    assert statuses(compute) == cancelled
    assert ("cancelled", "clawback") in cancelled


def test_undoing_the_newer_upload_brings_the_superseded_row_back(store, upload, compute):
    upload("leads", [VALID["leads"]])
    upload("deals", [CANCELLED])
    upload("deals", [SIGNED])
    store.undo(2)
    assert statuses(compute) == [("signed", "commission")]


def test_a_b_a_the_third_upload_is_a_repeat_of_the_first_and_changes_nothing(store, upload, compute):
    upload("leads", [VALID["leads"]])
    upload("deals", [SIGNED])
    upload("deals", [CANCELLED])
    before = (statuses(compute), store.counts())
    again = upload("deals", [SIGNED])
    assert (again.upload_id, again.repeat_of, again.sheets) == (4, 2, [])
    assert again.repeat_of_at == store.uploads().set_index("upload_id").loc[2, "uploaded_at"]
    assert (statuses(compute), store.counts() | {"uploads": 3}) == before
    assert store.uploads().set_index("upload_id").loc[4, "repeat_of"] == 2


def test_reuploading_any_file_at_any_point_changes_no_result(store, upload, compute):
    files = [
        ("leads", [VALID["leads"]]),
        ("deals", [SIGNED]),
        ("deals", [CANCELLED]),
        ("roster", [VALID["roster"]]),
    ]
    for kind, rows in files:
        upload(kind, rows)
    expected = statuses(compute)
    for kind, rows in files:
        assert upload(kind, rows).repeat_of is not None
        assert statuses(compute) == expected


def test_undo_after_a_repeat_keeps_the_original_and_undoing_the_original_lets_the_repeat_stand(
    store, upload, compute
):
    upload("leads", [VALID["leads"]])
    upload("deals", [SIGNED])
    upload("deals", [SIGNED])
    store.undo(3)
    assert statuses(compute) == [("signed", "commission")]
    upload("deals", [SIGNED])  # id 4, a repeat of 2
    store.undo(2)
    assert statuses(compute) == [("signed", "commission")]
    assert store.uploads()[["upload_id", "repeat_of"]].astype(object).where(
        lambda f: f.notna(), None
    ).values.tolist() == [
        [4, None],
        [1, None],
    ]


def test_upload_ids_are_never_reused_after_undo(store, upload):
    upload("leads", [VALID["leads"]])
    upload("deals", [SIGNED])
    store.undo(2)
    assert upload("deals", [CANCELLED]).upload_id == 3
    store.undo(3)
    store.undo(1)
    assert upload("leads", [VALID["leads"]]).upload_id == 4


def test_a_rejected_row_identical_to_a_stored_one_is_not_stored_again(store, upload):
    bad = VALID["leads"] | {"kam": ""}
    upload("leads", [bad])
    upload("leads", [bad, VALID["leads"]])
    assert store.counts()["rejected"] == 1


def test_within_one_upload_the_later_sheet_wins(store, tmp_path, compute):
    from tests.kam_metrics.ingest.test_store import write_workbook

    path = write_workbook(tmp_path / "w.xlsx", {"leads": [VALID["leads"]], "deals": [SIGNED]})
    store.ingest(path)
    # a second deals sheet in a later upload of the same data date: upload order, then sheet, wins
    path2 = write_workbook(tmp_path / "w2.xlsx", {"deals": [SIGNED | {"amount": "2000000"}]})
    store.ingest(path2)
    current = store.cursor().sql("select amount from deals order by upload_id").fetchall()
    assert len(current) == 2
    assert compute(as_of=MARCH_END).commissions["status"].tolist() == ["signed"]


def test_the_schema_4_step_backfills_data_dates_of_stored_uploads_from_their_rows(store, upload):
    upload("roster", [VALID["roster"]])
    upload("leads", [VALID["leads"]])
    upload("roster", [VALID["roster"] | {"team": "B组"}])
    cur = store.cursor()
    cur.execute("update uploads set data_date = null")
    migrations._v4_data_dates(cur)
    assert cur.execute("select upload_id, data_date from uploads order by 1").fetchall() == [
        (1, None),
        (2, dt.date(2026, 3, 3)),
        (3, dt.date(2026, 3, 3)),
    ]


def test_a_store_reopened_keeps_data_dates(tmp_path, upload, store):
    upload("leads", [VALID["leads"]])
    store.close()
    reopened = Store(tmp_path / "kam.duckdb")
    assert reopened.uploads()["data_date"].dt.date.tolist() == [dt.date(2026, 3, 3)]
    reopened.close()


def test_the_cli_shows_the_data_date_and_repeat_of_n(tmp_path, capsys):
    from kam_metrics.cli import main
    from tests.helpers import write_csv

    path = write_csv(tmp_path / "报备.csv", "leads", [VALID["leads"]])
    db = str(tmp_path / "k.duckdb")
    assert main(["--lang", "en", "ingest", "--db", db, str(path)]) == 0
    assert main(["--lang", "en", "ingest", "--db", db, str(path)]) == 0
    out = capsys.readouterr().out
    assert "报备.csv: data date 2026-03-03" in out and "superseded 0" in out
    assert "报备.csv: repeat of upload #1" in out
    assert main(["--lang", "en", "uploads", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "repeat of #1" in lines[1] and "2026-03-03" in lines[1] and "2026-03-03" in lines[2]
