"""CLI of SPEC §10/§11: `user add|passwd|disable|list` with the password read from stdin, and `audit [--out]` —
one line per problem on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

import getpass
import subprocess
import sys

import openpyxl
import pytest

from kam_metrics.access import accounts
from kam_metrics.ingest.store import Store
from tests.kam_metrics.test_cli import ROOT, csv_file

CLI = "cli:" + getpass.getuser()


def run(*args, stdin: str = "", lang: str = "en") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kam_metrics", "--lang", lang, *map(str, args)],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture
def db(tmp_path):
    roster = csv_file(
        tmp_path / "in", "roster", [{"kam": "张三", "team": "一组", "start_date": "2026-09-07"}]
    )
    path = tmp_path / "k" / "kam.duckdb"
    path.parent.mkdir()
    assert run("ingest", "--db", path, roster).returncode == 0
    return path


def signs_in(db, login, password) -> str | None:
    store = Store(db)
    try:
        return accounts.sign_in(store, login, password).role
    except accounts.AccessError as e:
        return e.code
    finally:
        store.close()


def problem(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_user_add_reads_the_password_from_stdin_and_the_account_signs_in(db):
    done = run("user", "add", "--db", db, "--login", "Boss", "--role", "director", "--name", "张总",
               stdin="correct horse\n")  # fmt: skip
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "account Boss added (director)", "")
    assert signs_in(db, "boss", "correct horse") == "director"
    assert "correct horse" not in done.stdout


def test_user_add_warns_about_a_kam_in_no_data_and_refuses_problems_in_one_line(db):
    run("user", "add", "--db", db, "--login", "boss", "--role", "director", stdin="correct horse\n")
    done = run(
        "user",
        "add",
        "--db",
        db,
        "--login",
        "wang",
        "--role",
        "kam",
        "--kam",
        "王五",
        stdin="correct horse\n",
    )
    assert done.returncode == 0 and "王五" in done.stderr and "warning" in done.stderr
    assert "the login 'BOSS' is taken" in problem(
        run("user", "add", "--db", db, "--login", "BOSS", "--role", "finance", stdin="correct horse\n"))  # fmt: skip
    assert "unknown role 'admin'" in problem(
        run("user", "add", "--db", db, "--login", "x", "--role", "admin", stdin="correct horse\n"))  # fmt: skip
    assert "a team lead of an unknown team" in problem(
        run("user", "add", "--db", db, "--login", "x", "--role", "team_lead", "--team", "九组", stdin="correct horse\n"))  # fmt: skip
    assert "at least 8 characters" in problem(
        run("user", "add", "--db", db, "--login", "x", "--role", "finance", stdin="short\n"))  # fmt: skip
    assert "no password on stdin" in problem(
        run("user", "add", "--db", db, "--login", "x", "--role", "finance")
    )


def test_user_passwd_sets_the_password_from_stdin_and_disable_stops_the_account(db):
    run("user", "add", "--db", db, "--login", "boss", "--role", "director", stdin="correct horse\n")
    run("user", "add", "--db", db, "--login", "fin", "--role", "finance", stdin="correct horse\n")
    done = run("user", "passwd", "--db", db, "FIN", stdin="battery staple\n")
    assert (done.returncode, done.stdout.strip()) == (0, "password of FIN set")
    assert signs_in(db, "fin", "battery staple") == "finance"
    assert run("user", "disable", "--db", db, "fin").returncode == 0
    assert signs_in(db, "fin", "battery staple") == "access.bad_credentials"
    assert run("user", "enable", "--db", db, "fin").stdout.strip() == "account fin enabled"
    assert signs_in(db, "fin", "battery staple") == "finance"
    assert "last active director" in problem(run("user", "disable", "--db", db, "boss"))
    assert "no account 'ghost'" in problem(run("user", "disable", "--db", db, "ghost"))


def test_user_list_shows_every_account_with_role_and_state(db):
    assert (
        run("user", "list", "--db", db).stdout.strip()
        == "no accounts (the dashboard runs open, without sign-in)"
    )
    run(
        "user",
        "add",
        "--db",
        db,
        "--login",
        "boss",
        "--role",
        "director",
        "--name",
        "张总",
        stdin="correct horse\n",
    )
    run(
        "user",
        "add",
        "--db",
        db,
        "--login",
        "lead",
        "--role",
        "team_lead",
        "--team",
        "一组",
        stdin="correct horse\n",
    )
    lines = run("user", "list", "--db", db).stdout.strip().splitlines()
    assert lines[0].split() == ["login", "name", "role", "team", "KAM", "state", "created", "at"]
    assert lines[1].split()[:4] == ["boss", "张总", "director", "active"]
    assert lines[2].split()[:5] == ["lead", "team", "lead", "一组", "active"]


def test_audit_prints_the_entries_and_writes_them_as_a_workbook(db, tmp_path):
    run("user", "add", "--db", db, "--login", "boss", "--role", "director", stdin="correct horse\n")
    printed = run("audit", "--db", db).stdout.strip().splitlines()
    assert printed[0].split() == ["time", "login", "action", "target", "details"]
    assert [line.split()[2:4] for line in printed[1:]] == [[CLI, "upload"], [CLI, "add"]]
    out = tmp_path / "audit.xlsx"
    done = run("audit", "--db", db, "--out", out)
    assert (done.returncode, done.stdout.strip()) == (0, f"audit log written to {out} (2 entries)")
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert [r[1:4] for r in rows] == [("login", "action", "target"), (CLI, "upload", "大客户经理名单.csv"),
                                      (CLI, "add an account", "boss")]  # fmt: skip
    assert run("audit", "--db", db, "--action", "close").stdout.strip() == "the audit log is empty"


def test_user_and_audit_on_a_missing_store_fail_in_one_line(tmp_path):
    assert "Traceback" not in problem(run("user", "list", "--db", tmp_path / "none.duckdb"))
    assert "Traceback" not in problem(run("audit", "--db", tmp_path / "none.duckdb"))
