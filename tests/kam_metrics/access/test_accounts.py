"""Accounts and sign-in (SPEC §10): unique logins in any case, roles, teams and KAM names checked against the
stored data, argon2 hashes, one message for every wrong credential, and the lockout after five failures."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kam_metrics.access import accounts, audit
from kam_metrics.access.accounts import AccessError
from kam_metrics.access.roles import Refused, Viewer

T0 = dt.datetime(2026, 11, 20, 9, 0, 0)
PW = "correct horse"


@pytest.fixture
def roster(upload):
    upload("roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}])


@pytest.fixture
def boss(store):
    accounts.add(store, "Boss@Example.com", PW, "director", name="张总")
    return store


def refused(call, *args, **kwargs) -> AccessError:
    with pytest.raises(AccessError) as caught:
        call(*args, **kwargs)
    return caught.value


def log(store, action=None) -> list[tuple]:
    frame = audit.entries(store, action=action)
    return [(r.login, r.action, r.target, json.loads(r.details)) for r in frame.itertuples()]


def test_an_account_is_stored_with_its_role_and_an_argon2_hash_never_the_password(boss):
    (account,) = accounts.accounts(boss)
    assert (account.login, account.name, account.role, account.team, account.kam, account.active) == (
        "Boss@Example.com", "张总", "director", None, None, True)  # fmt: skip
    (digest,) = boss.cursor().execute("select password_hash from accounts").fetchall()[0]
    assert digest.startswith("$argon2id$") and PW not in digest
    assert accounts.has_accounts(boss)


def test_a_store_without_accounts_runs_open(store):
    assert not accounts.has_accounts(store) and accounts.accounts(store) == []


def test_a_login_that_exists_in_another_case_is_refused_naming_the_existing_one(boss):
    error = refused(accounts.add, boss, "boss@EXAMPLE.com", PW, "finance")
    assert (error.code, error.values) == (
        "access.login_taken",
        {"login": "boss@EXAMPLE.com", "existing": "Boss@Example.com"},
    )
    assert "Boss@Example.com" in error.message("en") and "Boss@Example.com" in error.message("zh")
    assert len(accounts.accounts(boss)) == 1


def test_an_unknown_role_is_refused(boss):
    error = refused(accounts.add, boss, "x", PW, "admin")
    assert error.code == "access.bad_role" and "admin" in error.message("en")


def test_a_password_under_eight_characters_is_refused(boss):
    assert refused(accounts.add, boss, "fin", "1234567", "finance").code == "access.password_short"
    accounts.add(boss, "fin", "12345678", "finance")  # eight is enough
    assert refused(accounts.reset_password, boss, "fin", "short").code == "access.password_short"


def test_a_team_lead_of_a_team_in_no_stored_roster_is_refused(boss, roster):
    error = refused(accounts.add, boss, "lead2", PW, "team_lead", team="二组")
    assert (error.code, error.values) == ("access.unknown_team", {"team": "二组"})
    assert "a team lead of an unknown team" in error.message("en")
    assert accounts.add(boss, "lead1", PW, "team_lead", team=" 一组 ") == []
    assert accounts.find(boss, "LEAD1").team == "一组"
    assert refused(accounts.add, boss, "lead3", PW, "team_lead").code == "access.team_required"


def test_a_kam_in_no_stored_data_is_added_with_a_warning(boss, roster):
    assert accounts.add(boss, "zhang", PW, "kam", kam="张三") == []
    (warning,) = accounts.add(boss, "wang", PW, "kam", kam="王五")
    assert (warning.code, warning.values) == ("access.kam_not_in_data", {"kam": "王五"})
    assert accounts.find(boss, "wang").kam == "王五"
    assert log(boss, "user_add")[-1] == (
        "cli:" + __import__("getpass").getuser(), "user_add", "wang",
        {"role": "kam", "name": "", "team": None, "kam": "王五", "warnings": ["access.kam_not_in_data"]})  # fmt: skip


def test_a_team_or_kam_name_on_another_role_is_refused(boss, roster):
    assert refused(accounts.add, boss, "f", PW, "finance", team="一组").code == "access.field_not_for_role"
    assert refused(accounts.add, boss, "k", PW, "kam").code == "access.kam_required"


def test_the_first_account_must_be_a_director(store):
    assert refused(accounts.add, store, "fin", PW, "finance").code == "access.first_director"
    assert not accounts.has_accounts(store)


def test_only_a_director_manages_accounts(boss):
    finance = Viewer("fin", "finance")
    with pytest.raises(Refused):
        accounts.add(boss, "x", PW, "finance", viewer=finance)
    with pytest.raises(Refused):
        accounts.disable(boss, "Boss@Example.com", viewer=finance)


def test_the_last_active_director_cannot_be_disabled_but_one_of_two_can(boss):
    error = refused(accounts.disable, boss, "boss@example.com")
    assert (error.code, error.values) == ("access.last_director", {"login": "Boss@Example.com"})
    accounts.add(boss, "second", PW, "director")
    accounts.disable(boss, "BOSS@example.com")
    assert [a.active for a in accounts.accounts(boss)] == [False, True]
    assert refused(accounts.disable, boss, "second").code == "access.last_director"
    accounts.enable(boss, "boss@example.com")
    assert accounts.find(boss, "boss@example.com").active


def test_sign_in_gives_the_accounts_viewer_whatever_the_case_of_the_login(boss, roster):
    accounts.add(boss, "Lead1", PW, "team_lead", team="一组", name="组长")
    assert accounts.sign_in(boss, "LEAD1", PW, now=T0) == Viewer(
        "Lead1", "team_lead", name="组长", team="一组"
    )


@pytest.mark.parametrize(
    "login, password", [("nobody", PW), ("boss@example.com", "wrong password"), ("off", PW)]
)
def test_wrong_credentials_give_one_message_whatever_was_wrong(boss, login, password):
    accounts.add(boss, "off", PW, "finance")
    accounts.disable(boss, "off")
    error = refused(accounts.sign_in, boss, login, password, now=T0)
    assert (error.code, error.values) == ("access.bad_credentials", {})
    assert error.message("en") == "wrong login or password"


def test_a_failed_sign_in_is_audited_although_the_sign_in_fails(boss):
    refused(accounts.sign_in, boss, "boss@example.com", "wrong password", now=T0)
    refused(accounts.sign_in, boss, "ghost", "whatever1", now=T0)
    entries = audit.entries(boss, action="sign_in_failed")
    assert entries[["at", "login", "target", "details"]].values.tolist() == [
        [T0, "boss@example.com", "boss@example.com", "{}"],
        [T0, "ghost", "ghost", "{}"],
    ]


def test_five_failures_within_fifteen_minutes_lock_the_login_for_fifteen_minutes(boss):
    minute = dt.timedelta(minutes=1)
    for i in range(5):  # 09:00 … 09:12: five failures within 15 minutes
        assert refused(accounts.sign_in, boss, "boss@example.com", "nope", now=T0 + 3 * i * minute).code == (
            "access.bad_credentials")  # fmt: skip
    until = T0 + 12 * minute + dt.timedelta(minutes=15)  # the lock runs 15 minutes from the fifth failure
    error = refused(accounts.sign_in, boss, "Boss@example.com", PW, now=T0 + 13 * minute)
    assert (error.code, error.values) == ("access.locked", {"until": "2026-11-20 09:27"})
    assert "09:27" in error.message("en") and "09:27" in error.message("zh")
    assert refused(accounts.sign_in, boss, "boss@example.com", PW, now=until - dt.timedelta(seconds=1)).code == (
        "access.locked")  # fmt: skip
    assert accounts.sign_in(boss, "boss@example.com", PW, now=until).role == "director"
    locked = audit.entries(boss, action="sign_in_locked")
    assert locked["at"].tolist() == [T0 + 13 * minute, until - dt.timedelta(seconds=1)]
    assert [json.loads(d) for d in locked["details"]] == [{"until": until.isoformat()}] * 2
    fifth = json.loads(audit.entries(boss, action="sign_in_failed")["details"].iloc[-1])
    assert fifth == {"locked_until": until.isoformat()}


def test_five_failures_spread_over_more_than_fifteen_minutes_do_not_lock(boss):
    for i in range(5):  # 09:00, 09:04, … 09:16: never five within 15 minutes
        refused(accounts.sign_in, boss, "boss@example.com", "nope", now=T0 + dt.timedelta(minutes=4 * i))
    assert accounts.sign_in(boss, "boss@example.com", PW, now=T0 + dt.timedelta(minutes=17)).login == (
        "Boss@Example.com")  # fmt: skip


def test_a_successful_sign_in_starts_the_failure_count_again(boss):
    for i in range(4):
        refused(accounts.sign_in, boss, "boss@example.com", "nope", now=T0 + dt.timedelta(minutes=i))
    accounts.sign_in(boss, "boss@example.com", PW, now=T0 + dt.timedelta(minutes=4))
    refused(accounts.sign_in, boss, "boss@example.com", "nope", now=T0 + dt.timedelta(minutes=5))
    assert accounts.sign_in(boss, "boss@example.com", PW, now=T0 + dt.timedelta(minutes=6)).role == "director"


def test_an_unknown_login_is_locked_like_a_known_one(boss):
    for i in range(5):
        refused(accounts.sign_in, boss, "ghost", "nope", now=T0 + dt.timedelta(minutes=i))
    assert (
        refused(accounts.sign_in, boss, "ghost", "nope", now=T0 + dt.timedelta(minutes=6)).code
        == "access.locked"
    )


def test_a_disabled_account_cannot_sign_in_and_an_enabled_one_can_again(boss):
    accounts.add(boss, "fin", PW, "finance")
    accounts.disable(boss, "fin")
    assert refused(accounts.sign_in, boss, "fin", PW, now=T0).code == "access.bad_credentials"
    accounts.enable(boss, "fin")
    assert accounts.sign_in(boss, "fin", PW, now=T0).role == "finance"


def test_the_director_resets_a_password_and_the_old_one_stops_working(boss):
    accounts.add(boss, "fin", PW, "finance")
    accounts.reset_password(boss, "FIN", "another password")
    assert refused(accounts.sign_in, boss, "fin", PW, now=T0).code == "access.bad_credentials"
    assert accounts.sign_in(boss, "fin", "another password", now=T0).login == "fin"
    assert refused(accounts.reset_password, boss, "nobody", "another password").code == "access.no_account"


def test_an_account_changes_its_own_password_with_the_old_one(boss):
    accounts.add(boss, "fin", PW, "finance")
    assert (
        refused(accounts.change_password, boss, "fin", "wrong old", "new password").code
        == "access.bad_old_password"
    )
    accounts.change_password(boss, "fin", PW, "new password", now=T0)
    assert accounts.sign_in(boss, "fin", "new password", now=T0).login == "fin"
    assert log(boss, "user_password_change") == [("fin", "user_password_change", "fin", {})]


def test_viewer_for_email_maps_an_active_account_whose_login_is_the_email(boss):
    accounts.add(boss, "wang@example.com", PW, "finance", name="王")
    assert accounts.viewer_for_email(boss, "WANG@example.com") == Viewer(
        "wang@example.com", "finance", name="王"
    )
    assert accounts.viewer_for_email(boss, "nobody@example.com") is None
    assert accounts.viewer_for_email(boss, "") is None
    accounts.disable(boss, "wang@example.com")
    assert accounts.viewer_for_email(boss, "wang@example.com") is None


def test_account_changes_are_audited_with_the_director_and_never_the_password(boss):
    director = Viewer("Boss@Example.com", "director")
    accounts.add(boss, "fin", PW, "finance", name="财务", viewer=director)
    accounts.reset_password(boss, "fin", "another password", viewer=director)
    accounts.disable(boss, "fin", viewer=director)
    accounts.enable(boss, "fin", viewer=director)
    entries = log(boss)[1:]
    assert entries == [
        (
            "Boss@Example.com",
            "user_add",
            "fin",
            {"role": "finance", "name": "财务", "team": None, "kam": None},
        ),
        ("Boss@Example.com", "user_passwd", "fin", {}),
        ("Boss@Example.com", "user_disable", "fin", {"was_active": True}),
        ("Boss@Example.com", "user_enable", "fin", {"was_active": False}),
    ]
    text = " ".join(audit.entries(boss)["details"])
    assert PW not in text and "another password" not in text and "argon2" not in text


def test_a_read_only_store_lets_its_accounts_sign_in_and_refuses_the_rest_recording_nothing(boss, tmp_path):
    from kam_metrics.ingest.store import Store

    boss.close()
    viewing = Store(tmp_path / "kam.duckdb", read_only=True)
    try:
        assert accounts.sign_in(viewing, "boss@example.com", PW, now=T0).role == "director"
        assert (
            refused(accounts.sign_in, viewing, "boss@example.com", "nope", now=T0).code
            == "access.bad_credentials"
        )
        assert len(audit.entries(viewing)) == 1  # the user_add only
    finally:
        viewing.close()
