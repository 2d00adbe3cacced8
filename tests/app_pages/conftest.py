"""Page tests: AppTest runs app.py on a real store; a test patches the page's one presentation call."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.text import JOINER
from kam_metrics.ingest.store import Store
from kam_metrics.present import sample

APP = "../../app.py"  # AppTest paths are relative to this file
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CSV_LEADS = "报备时间,大客户经理,客户姓名,手机号\n2026-09-08 10:00,王伟,王先生,13812345678\n2026-09-08 11:00,王伟,李先生,139123\n"
# Names that Markdown or HTML would turn into an image fetch, a link or markup.
HOSTILE = ["![c](http://127.0.0.1:9/x.png)", "[王伟](http://evil)", "<b>x</b>"]
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> Path:
    """A store holding the bundled sample, built once; tests work on copies of its file."""
    folder = tmp_path_factory.mktemp("sample-store")
    store = Store(folder / "kam.duckdb")
    sample.load_sample(store)
    store.close()
    return folder


@pytest.fixture
def env(tmp_path, monkeypatch) -> Path:
    """An empty store and no rules file, with Streamlit's caches cleared."""
    monkeypatch.setenv("KAM_DB", str(tmp_path / "kam.duckdb"))
    monkeypatch.setenv("KAM_RULES", str(tmp_path / "rules.toml"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def sample_env(env, sample_store) -> Path:
    shutil.copy(sample_store / "kam.duckdb", env / "kam.duckdb")
    return env


def open_page(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    if page:
        for key, value in query.items():
            at.query_params[key] = value
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, at.exception
    return at


def frame(at: AppTest, column: str):
    """The first shown table with this column header (AppTest does not expose a table's key)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def metrics(at: AppTest) -> dict[str, str]:
    return {literal(m.label): literal(m.value) for m in at.metric}


def literal(markdown: str) -> str:
    """The text a Markdown source shows, asserting that it holds no live Markdown: every ASCII punctuation
    character of it is backslash-escaped (CommonMark then shows it as itself), or comes from our own words."""
    return _ESCAPE.sub(r"\1", markdown).replace(JOINER, "")


def is_literal(markdown: str, text: str) -> bool:
    """``markdown`` shows ``text`` as its characters: ``text`` appears in it with every punctuation escaped."""
    escaped = _PUNCTUATION.sub(lambda m: "\\" + m.group(0), text)
    return escaped in markdown.replace(JOINER, "") and text in literal(markdown)


def shown_text(at: AppTest) -> str:
    parts = [str(df.value.to_csv()) for df in at.dataframe]
    parts += [literal(e.value) for e in (*at.markdown, *at.info, *at.caption, *at.subheader)]
    return "\n".join(parts)


@pytest.fixture
def patch_view(monkeypatch):
    """patch_view(module, model) → calls: the page's view() returns ``model``; ``calls`` records each call's
    (args, kwargs)."""

    def _patch(module, model):
        calls = []

        def fake(*args, **kwargs):
            calls.append((args, kwargs))
            return model

        monkeypatch.setattr(module, "view", fake)
        return calls

    return _patch


@pytest.fixture(autouse=True)
def page_errors_raise(monkeypatch):
    """The error boundary turns a page's exception into a message; here it re-raises, so at.exception sees it."""
    from dashboard import errors

    def _raise(error: Exception) -> str:
        raise error

    monkeypatch.setattr(errors, "report", _raise)
