"""Streamlit glue shared by app.py and the pages: the one store, cached results, the UI language, the
sidebar filters and the sample-data banner. Business logic stays in kam_metrics; this only wires it."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from pathlib import Path

import streamlit as st

from kam_metrics.contract.rules import Rules, RulesError, parse_rules_text
from kam_metrics.engine import report
from kam_metrics.engine.report import Results
from kam_metrics.export import workbook as export
from kam_metrics.export.template import write_template
from kam_metrics.i18n import DEFAULT_LANG, LANGS, t
from kam_metrics.ingest.store import Store, default_db_path
from kam_metrics.present import views

ALL = "*"  # the team filter's "everyone"
DEFAULT_RULES = Path("data") / "rules.toml"


# -- language ------------------------------------------------------------------------------------
def lang() -> str:
    """The UI language chosen in the sidebar (Chinese by default)."""
    value = st.session_state.get("lang", DEFAULT_LANG)
    return value if value in LANGS else DEFAULT_LANG


def tr(key: str, **values: object) -> str:
    """The UI word for ``key`` in the chosen language."""
    return t(key, lang(), **values)


# -- store and results ---------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def store() -> Store:
    """The process's one Store ($KAM_DB, default data/kam.duckdb), shared by every browser session."""
    return _store(str(default_db_path()))


def rules_path() -> Path:
    """$KAM_RULES, default data/rules.toml."""
    return Path(os.environ.get("KAM_RULES") or DEFAULT_RULES)


def current_rules() -> tuple[Rules, str | None]:
    """The rules of the rules file (defaults when it is missing), and the file's error if it is refused."""
    path = rules_path()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Rules(), None
    try:
        return parse_rules_text(text), None
    except RulesError as e:
        return Rules(), str(e)


@st.cache_resource(show_spinner=False, max_entries=16)
def _results(db: str, version: int, rules_toml: str, as_of: dt.date | None) -> Results:
    # version is part of the key only: an upload, undo or clear changes it and so recomputes.
    return report.compute(_store(db), parse_rules_text(rules_toml), as_of)


def results_for(rules: Rules, as_of: dt.date | None = None) -> Results:
    """Results of all stored data under ``rules`` (cached per data version, rules text and as_of).

    The object is shared between sessions: never modify it (kam_metrics.views never does)."""
    s = store()
    return _results(str(s.path), s.version(), rules.to_toml(), as_of)


def has_data() -> bool:
    return not store().uploads().empty


def results(team_filter: bool = True, rules: Rules | None = None) -> Results:
    """Results for the sidebar's as-of date and (unless ``team_filter`` is False) its team, under the rules
    file's rules or the given ``rules`` (the rules page's what-if)."""
    rules = rules or current_rules()[0]
    base = results_for(rules)
    chosen = st.session_state.get("as_of")
    res = base if chosen is None or chosen == base.as_of else results_for(rules, chosen)
    team = st.session_state.get("team", ALL)
    if team_filter and team not in (None, ALL):
        res = views.for_team(res, team)
    return res


@st.cache_data(show_spinner=False, max_entries=4)
def _sample_shown(db: str, version: int) -> bool:
    return views.is_sample(_store(db).uploads())


def sample_shown() -> bool:
    s = store()
    return _sample_shown(str(s.path), s.version())


def workbook_bytes(res: Results, language: str, kam: str | None = None) -> bytes:
    """The result workbook (SPEC §7) as bytes; full phone numbers, for download only."""
    buffer = io.BytesIO()
    export.write_workbook(res, buffer, language, kam=kam)
    return buffer.getvalue()


@st.cache_data(show_spinner=False)
def template_bytes(language: str) -> bytes:
    """The blank upload template as bytes."""
    with tempfile.TemporaryDirectory(prefix="kam-template-") as tmp:
        path = write_template(Path(tmp) / "template.xlsx", language)
        return path.read_bytes()


def forget_uploads() -> None:
    """Drop this session's remembered upload outcomes (after clearing the store)."""
    st.session_state.pop("upload_done", None)


# -- sidebar and banners -------------------------------------------------------------------------
# Widgets whose option labels are words. A select box's frontend keeps showing the label it had; setting
# the value again through session state makes Streamlit send it anew, with the new language's label.
_WORDED_WIDGETS = (
    "ov_week",
    "attr_match",
    "team",
    "month",
    "rules_week_start",
    "rules_commission_visit_share_source",
)


def _language_changed() -> None:
    for key in _WORDED_WIDGETS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def sidebar() -> None:
    """Language switch, as-of date (default SPEC §4) and team filter."""
    with st.sidebar:
        st.radio(
            t("ui.sidebar.lang", lang()),
            list(LANGS),
            key="lang",
            format_func=lambda code: t(f"ui.lang.{code}", code),
            horizontal=True,
            on_change=_language_changed,
        )
        if not has_data():
            return
        rules, error = current_rules()
        base = results_for(rules)
        if error:
            st.error(tr("ui.rules.file_error", path=str(rules_path()), reason=error))
        if base.as_of is None:
            return
        # The default follows the data: a new upload moves it unless the user picked a date since.
        if "as_of" not in st.session_state or st.session_state.get("_as_of_default") != base.as_of:
            st.session_state["_as_of_default"] = base.as_of
            st.session_state["as_of"] = base.as_of
        st.date_input(
            tr("ui.sidebar.as_of"),
            key="as_of",
            format="YYYY-MM-DD",
            help=tr("ui.sidebar.as_of_help", date=views.day(base.as_of)),
        )
        team_names = views.teams(base)
        st.selectbox(
            tr("ui.sidebar.team"),
            [ALL, *team_names],
            key="team",
            format_func=lambda x: tr("ui.sidebar.all_teams") if x == ALL else (x or tr("ui.no_team")),
            bind="query-params",
        )


def sample_banner() -> None:
    """While the bundled sample is what the store holds, say so and offer to clear it."""
    if not has_data() or not sample_shown():
        return
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.info(tr("ui.sample.banner"), icon=":material/info:")
    if right.button(tr("ui.sample.clear"), key="clear_sample"):
        store().clear()
        forget_uploads()
        st.rerun()


def load_sample_button(key: str = "load_sample") -> None:
    """One click loads the bundled sample workbooks (only offered on an empty store)."""
    if st.button(tr("ui.sample.load"), key=key, type="primary"):
        with st.status(tr("ui.sample.loading"), expanded=False) as status:
            bar = st.progress(0.0)
            views.load_sample(store(), progress=lambda f, name: bar.progress(min(f, 1.0), text=name))
            status.update(label=tr("ui.sample.loaded"), state="complete")
        st.rerun()


def require_data() -> None:
    """A page's empty state: without stored data, explain and offer the sample, then stop the page."""
    if has_data():
        return
    st.info(tr("ui.empty.body"), icon=":material/folder_open:")
    load_sample_button()
    st.page_link("app_pages/upload.py", label=tr("ui.empty.go_upload"), icon=":material/upload_file:")
    st.stop()


def plotly_point(key: str) -> tuple[object, object] | None:
    """(x, y) of the first point selected in the plotly chart with ``key``, or None."""
    state = st.session_state.get(key)
    if not state:
        return None
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError):
        return None
    if not points:
        return None
    return points[0].get("x"), points[0].get("y")
