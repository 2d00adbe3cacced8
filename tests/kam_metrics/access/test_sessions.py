"""Sign-in sessions (SPEC §10): a token resumes for 12 hours, ends at sign-out, is signed with the secret beside
the store; a missing or damaged secret is replaced and only the old sign-ins are lost."""

from __future__ import annotations

import datetime as dt
import stat

import pytest

from kam_metrics.access import accounts, audit, sessions
from kam_metrics.access.roles import Viewer
from kam_metrics.ingest.store import Store

T0 = dt.datetime.now().replace(second=0, microsecond=0)  # a live session is judged by the real clock too
PW = "correct horse"


@pytest.fixture
def boss(store):
    accounts.add(store, "boss", PW, "director", name="张总")
    accounts.add(store, "fin", PW, "finance")
    return store


def signed_in(store, login="fin") -> str:
    return sessions.start(store, accounts.sign_in(store, login, PW, now=T0), now=T0)


def test_a_session_resumes_as_the_account_until_twelve_hours_after_sign_in(boss):
    token = signed_in(boss)
    assert sessions.resume(boss, token, now=T0 + dt.timedelta(hours=11, minutes=59)) == Viewer(
        "fin", "finance"
    )
    assert sessions.resume(boss, token, now=T0 + dt.timedelta(hours=12)) is None


def test_a_session_survives_reopening_the_store_like_a_browser_refresh_after_a_restart(boss, tmp_path):
    token = signed_in(boss)
    boss.close()
    again = Store(tmp_path / "kam.duckdb")
    try:
        assert sessions.resume(again, token, now=T0 + dt.timedelta(hours=1)) == Viewer("fin", "finance")
    finally:
        again.close()


def test_signing_out_ends_the_session_and_is_audited(boss):
    token = signed_in(boss)
    other = signed_in(boss, "boss")
    sessions.end(boss, token, now=T0 + dt.timedelta(minutes=5))
    assert sessions.resume(boss, token, now=T0 + dt.timedelta(minutes=6)) is None
    assert sessions.resume(boss, other, now=T0 + dt.timedelta(minutes=6)).login == "boss"
    out = audit.entries(boss, action="sign_out")
    assert out[["at", "login", "target"]].values.tolist() == [[T0 + dt.timedelta(minutes=5), "fin", "fin"]]


def test_no_token_a_forged_or_malformed_token_resumes_nothing(boss):
    token = signed_in(boss)
    session_id, signature = token.split(".")
    forged = session_id + "." + ("0" if signature[0] != "0" else "1") + signature[1:]
    for bad in (None, "", "garbage", forged, session_id, token + ".x", "../../x." + signature):
        assert sessions.resume(boss, bad, now=T0) is None
    sessions.end(boss, forged)  # a forged token ends nothing
    assert sessions.resume(boss, token, now=T0) is not None


def test_a_disabled_account_resumes_nothing_and_stays_out_when_enabled_again(boss):
    token = signed_in(boss)
    accounts.disable(boss, "fin")
    assert sessions.resume(boss, token, now=T0) is None
    accounts.enable(boss, "fin")
    assert sessions.resume(boss, token, now=T0) is None, "disabling ended the session"


def test_a_password_reset_ends_the_accounts_sessions(boss):
    token = signed_in(boss)
    accounts.reset_password(boss, "fin", "another password")
    assert sessions.resume(boss, token, now=T0) is None


def test_the_secret_is_kept_beside_the_store_readable_by_its_owner_only(boss, tmp_path):
    signed_in(boss)
    path = tmp_path / "kam.duckdb.secret"
    assert sessions.secret_path(boss) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) == 64
    assert sessions.secret_problem(boss) is None


@pytest.mark.parametrize(
    "damage, code",
    [
        (lambda p: p.unlink(), "access.secret_missing"),
        (lambda p: p.write_text("not a secret"), "access.secret_damaged"),
        (lambda p: p.write_bytes(b"\xff" * 64), "access.secret_damaged"),
    ],
)
def test_a_missing_or_damaged_secret_is_replaced_old_sign_ins_end_and_nothing_else_is_lost(
    boss, tmp_path, damage, code, upload
):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}])
    token = signed_in(boss)
    boss.close()
    path = tmp_path / "kam.duckdb.secret"
    old = path.read_text()
    damage(path)
    again = Store(tmp_path / "kam.duckdb")
    try:
        assert sessions.resume(again, token, now=T0 + dt.timedelta(hours=1)) is None
        problem = sessions.secret_problem(again)
        assert (
            problem.code == code and str(path) in problem.message("en") and str(path) in problem.message("zh")
        )
        assert path.read_text() != old and len(path.read_text().strip()) == 64
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        new = sessions.start(again, accounts.sign_in(again, "fin", PW, now=T0), now=T0)
        assert sessions.resume(again, new, now=T0 + dt.timedelta(hours=1)) == Viewer("fin", "finance")
        assert [a.login for a in accounts.accounts(again)] == ["boss", "fin"]
        assert again.counts()["roster"] == 1
    finally:
        again.close()


def test_a_missing_secret_with_no_live_session_is_no_problem(boss):
    assert sessions.secret_problem(boss) is None  # the first use makes it


def test_an_in_memory_store_keeps_its_secret_in_the_process():
    store = Store(":memory:")
    try:
        accounts.add(store, "boss", PW, "director")
        token = sessions.start(store, accounts.sign_in(store, "boss", PW, now=T0), now=T0)
        assert sessions.resume(store, token, now=T0).login == "boss"
        assert sessions.secret_path(store) is None
    finally:
        store.close()
