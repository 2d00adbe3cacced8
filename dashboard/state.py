"""Streamlit glue shared by app.py and the pages: the UI language, the one store, the cached Results and
the workbook downloads. Business logic stays in kam_metrics; this only wires it."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import threading
from pathlib import Path

import streamlit as st

from dashboard import store_status
from kam_metrics.access.roles import LOCAL, Viewer
from kam_metrics.contract.rules import Rules, RulesError, RuleSet, parse_ruleset_text
from kam_metrics.engine import report
from kam_metrics.engine.report import Results
from kam_metrics.export import workbook as export
from kam_metrics.export.template import write_template
from kam_metrics.i18n import DEFAULT_LANG, LANGS, t
from kam_metrics.ingest import rules_table
from kam_metrics.ingest.store import Store, default_db_path
from kam_metrics.present import check, common, sample

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


# -- who is signed in ---------------------------------------------------------------------------
def viewer() -> Viewer:
    """The Viewer every core call of this browser session is made for: the signed-in account, or local mode."""
    value = st.session_state.get("viewer")
    return value if isinstance(value, Viewer) else LOCAL


# -- store and results ---------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return store_status.open_store(path)


def store() -> Store:
    """The process's one Store ($KAM_DB, default data/kam.duckdb), shared by every browser session."""
    return _store(str(default_db_path()))


def rules_path() -> Path:
    """$KAM_RULES, default data/rules.toml: the rules file of earlier versions, imported once into the store."""
    return Path(os.environ.get("KAM_RULES") or DEFAULT_RULES)


def current_rules() -> tuple[RuleSet, str | None]:
    """The rules kept in the store (SPEC §6: the base and its changes; the defaults when none are stored).

    While none are stored, an existing rules file of earlier versions is imported first; when it is refused
    its error comes back too (the defaults stay in force)."""
    s = store()
    try:
        rules_table.import_legacy_rules_file(s, rules_path(), by="dashboard")
    except RulesError as e:
        return rules_table.stored_rules(s), str(e)
    return rules_table.stored_rules(s), None


def rules_in_force(ruleset: RuleSet, as_of: dt.date | None) -> Rules:
    """The version of ``ruleset`` in force on ``as_of`` (today without one)."""
    return ruleset.in_force(as_of or dt.date.today())


def save_rules(ruleset: RuleSet, edited: Rules, current: Rules, effective_from: dt.date) -> None:
    """Store the form's edit as SPEC §6 says: the changed versionable keys as one new change from
    ``effective_from``; week_start and excused_weeks (not versionable) replace the base's. Saved for the
    signed-in viewer (its role is checked and the audit log names its login)."""
    from kam_metrics.present.rules import changed_values, with_base

    changed = changed_values(current, edited)
    base, versioned = with_base(ruleset, changed)
    s = store()
    if base is not None:
        rules_table.set_rules(s, base, viewer=viewer())
    if versioned:
        rules_table.add_change(s, effective_from, versioned, viewer=viewer())


@st.cache_resource(show_spinner=False, max_entries=16)
def _results(db: str, version: int, rules_toml: str, as_of: dt.date | None) -> Results:
    # version is part of the key only: an upload, undo or clear changes it and so recomputes.
    res = report.compute(_store(db), parse_ruleset_text(rules_toml), as_of)
    # 查重's phone index takes seconds at 1M leads: build it now in the background, not at the first check.
    threading.Thread(target=check.index, args=(res,), name="check-index", daemon=True).start()
    return res


def results_for(rules: Rules | RuleSet, as_of: dt.date | None = None) -> Results:
    """Results of all stored data under ``rules`` (cached per data version, rules text and as_of).

    The object is shared between sessions: never modify it (kam_metrics.present never does)."""
    s = store()
    return _results(str(s.path), s.version(), rules.to_toml(), as_of)


def has_data() -> bool:
    return not store().uploads().empty


def results(team_filter: bool = True, rules: Rules | RuleSet | None = None) -> Results:
    """Results for the sidebar's as-of date and (unless ``team_filter`` is False) its team, under the stored
    rules or the given ``rules`` (the rules page's what-if)."""
    rules = rules or current_rules()[0]
    base = results_for(rules)
    chosen = st.session_state.get("as_of")
    # The sidebar's date is stale when the data date moved since it was drawn (an upload or undo on this very
    # run): its next draw resets it to the new default (widgets.as_of), so the page follows the data now too,
    # instead of computing a second Results at the old date that nothing shows afterwards.
    stale = st.session_state.get("_as_of_default") != base.as_of
    res = base if chosen is None or chosen == base.as_of or stale else results_for(rules, chosen)
    team = st.session_state.get("team", ALL)
    if team_filter and team not in (None, ALL):
        res = common.for_team(res, team)
    return res


@st.cache_data(show_spinner=False, max_entries=4)
def _sample_shown(db: str, version: int) -> bool:
    return sample.is_sample(_store(db).uploads())


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
    """Drop this session's remembered upload outcomes (after clearing the store). The files still held by the
    uploader stay known as handled, or the next run would store them again into the cleared store."""
    done = st.session_state.pop("upload_done", None) or {}
    st.session_state.setdefault("upload_seen", set()).update(done)


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
