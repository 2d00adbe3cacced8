"""dashboard.store_status: the dashboard's store policy and what a page says about the store (a fault as one
message in the chosen language, a read-only banner, a new-store notice), run by AppTest through the error
boundary exactly as app.py wires it."""

from __future__ import annotations

import inspect
import logging

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import errors, state
from dashboard.text import md
from kam_metrics.i18n import t
from kam_metrics.ingest import store as store_module
from kam_metrics.ingest.faults import StoreError
from kam_metrics.ingest.store import Store
from tests.app_pages.conftest import APP, env  # noqa: F401 (the fixture)


def _page(path: str, lang: str) -> None:
    """app.py's wiring in small: the store opened with the policy, the banner, then the page, in the guard."""
    import streamlit as st

    from dashboard import errors, store_status

    st.session_state["lang"] = lang

    def run() -> None:
        store_status.banner(store_status.open_store(path), lang)
        st.text("the page ran")

    errors.guard(run)


def _run(path, lang: str = "zh", at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_function(_page, args=(str(path), lang), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_a_kam_db_in_a_missing_folder_is_refused_with_one_message_and_no_new_store(tmp_path):
    path = tmp_path / "dtaa" / "kam.duckdb"  # the typo
    at = _run(path, "en")
    assert [e.value for e in at.error] == [md(t("store.folder_missing", "en", folder=path.parent))]
    assert "dtaa" in at.error[0].value and "KAM\\_DB" in at.error[0].value
    assert _texts(at) == []  # the page did not run
    assert not path.parent.exists()


def test_the_missing_folder_message_is_in_the_chosen_language(tmp_path):
    path = tmp_path / "missing" / "kam.duckdb"
    [message] = [e.value for e in _run(path, "zh").error]
    assert message == md(t("store.folder_missing", "zh", folder=path.parent))
    assert message != md(t("store.folder_missing", "en", folder=path.parent))


def test_a_store_that_cannot_be_written_opens_read_only_with_the_banner_and_the_page_runs(
    tmp_path, monkeypatch
):
    path = tmp_path / "kam.duckdb"
    Store(path).close()
    monkeypatch.setattr(store_module, "_writable", lambda p: False)  # root ignores permission bits
    at = _run(path, "en")
    assert [w.value for w in at.warning] == [md(t("store.read_only_banner", "en", path=path))]
    assert at.error == [] and at.toast == []
    assert _texts(at) == ["the page ran"]


def test_a_new_store_in_an_existing_folder_is_created_and_said_once_per_session(tmp_path):
    path = tmp_path / "kam.duckdb"
    at = _run(path, "en")
    assert [n.value for n in at.toast] == [md(t("store.created", "en", path=path))]
    assert path.exists() and _texts(at) == ["the page ran"]
    at = _run(path, "en", at)  # the same session again: no second notice
    assert at.toast == [] and _texts(at) == ["the page ran"]


def test_an_existing_store_opens_without_any_notice(tmp_path):
    path = tmp_path / "kam.duckdb"
    Store(path).close()
    at = _run(path, "zh")
    assert at.toast == [] and at.warning == [] and at.error == []
    assert _texts(at) == ["the page ran"]


def test_a_corrupt_database_is_one_message_naming_the_file_and_rebuild_without_a_traceback(tmp_path, caplog):
    path = tmp_path / "kam.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 1000)
    with caplog.at_level(logging.WARNING, logger="kam_metrics.dashboard"):
        at = _run(path, "en")
    [message] = [e.value for e in at.error]
    assert message == md(t("store.corrupt", "en", path=path))
    assert (
        "rebuild" in message
        and "Traceback" not in message
        and "duckdb" not in message.lower().split("kam")[0]
    )
    assert _texts(at) == []
    assert any("damaged" in r.getMessage() for r in caplog.records)


def test_a_store_error_raised_by_a_page_action_shows_its_message_not_an_error_id(env, monkeypatch):  # noqa: F811
    from kam_metrics.present import upload

    def full(*args, **kwargs):
        raise StoreError("disk_full", path=env)

    monkeypatch.setattr(upload, "view", full)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/upload.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == [md(t("store.disk_full", "zh", path=env))]
    assert at.title[0].value == "数据上传"  # what ran before the failure stays


def _action_fails() -> None:
    from dashboard import store_status
    from kam_metrics.ingest.faults import StoreError

    store_status.show_error(StoreError("read_only", path="/x/k.duckdb"), "zh")


def test_show_error_logs_the_english_message_server_side(caplog):
    at = AppTest.from_function(_action_fails)
    with caplog.at_level(logging.WARNING, logger="kam_metrics.dashboard"):
        at.run()
    assert [e.value for e in at.error] == [md(t("store.read_only", "zh", path="/x/k.duckdb"))]
    assert "store action refused: " + t("store.read_only", "en", path="/x/k.duckdb") in [
        r.getMessage() for r in caplog.records
    ]


# -- the real app.py, once dashboard/state.py opens its store through store_status -----------------------
wired = pytest.mark.skipif(
    "store_status" not in inspect.getsource(state), reason="dashboard/state.py does not use store_status yet"
)


@wired
def test_the_dashboard_with_kam_db_in_a_missing_folder_shows_one_message_and_creates_nothing(
    env,  # noqa: F811 (the fixture)
    monkeypatch,
):
    path = env / "typo" / "kam.duckdb"
    monkeypatch.setenv("KAM_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [md(t("store.folder_missing", "zh", folder=path.parent))]
    assert not path.parent.exists()


@wired
def test_the_dashboard_on_a_read_only_store_shows_the_banner_on_every_page(env, monkeypatch):  # noqa: F811
    Store(env / "kam.duckdb").close()
    monkeypatch.setattr(store_module, "_writable", lambda p: False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    banner = md(t("store.read_only_banner", "zh", path=env / "kam.duckdb"))
    assert banner in [w.value for w in at.warning]
    at.switch_page("app_pages/upload.py").run()
    assert banner in [w.value for w in at.warning]


def test_the_error_boundary_catches_store_errors_before_the_generic_message():
    source = inspect.getsource(errors.guard)
    assert source.index("except StoreError") < source.index("except Exception")
