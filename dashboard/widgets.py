"""Reusable widgets: each ``show``-style function draws one widget, owns its session-state key and returns
its value; ``value(key)`` reads a pick before its widget is drawn (so a page can ask for its view first)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from dashboard import state
from dashboard.text import md
from kam_metrics.i18n import LANGS, t
from kam_metrics.present import downloads

_WORDED = "_worded_widgets"  # keys of drawn widgets whose option labels are words (filled by the widgets)


def value(key: str) -> object:
    """A widget's current pick: its session value, else (a bound widget on a first run) the URL's."""
    if key in st.session_state:
        return st.session_state[key]
    return st.query_params.get(key)


def _worded(key: str) -> None:
    st.session_state.setdefault(_WORDED, set()).add(key)


def _language_changed() -> None:
    # A select box's frontend keeps showing the label it had; setting the value again through session state
    # makes Streamlit send it anew, with the new language's label.
    for key in st.session_state.get(_WORDED, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def restore_language(key: str = "lang") -> None:
    """Before anything is drawn, take the language from the URL (?lang=en) on a session's first run, so a
    reload (F5) keeps it for the page title and the navigation too, not only for the page below."""
    if key not in st.session_state and st.query_params.get(key) in LANGS:
        st.session_state[key] = st.query_params[key]


def language(key: str = "lang") -> str:
    """The language switch (zh / en), kept in the URL (?lang=en; the default zh leaves the URL clean)."""
    code = st.radio(
        t("ui.sidebar.lang", state.lang()),
        list(LANGS),
        key=key,
        format_func=lambda code: t(f"ui.lang.{code}", code),
        horizontal=True,
        on_change=_language_changed,
    )
    # Written by hand, not bind="query-params": a bound radio puts its label (English) in the URL.
    _keep_in_url(key, None if code == LANGS[0] else code)
    return code


def _url_date(key: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(st.query_params.get(key) or ""))
    except ValueError:
        return None


def as_of(default: dt.date, help: str, key: str = "as_of") -> dt.date:
    """The as-of date, kept in the URL (?as_of=YYYY-MM-DD) so a reload keeps it; its default follows the
    data (a new upload moves it unless the user picked a date since)."""
    if key not in st.session_state or st.session_state.get(f"_{key}_default") != default:
        first = f"_{key}_default" not in st.session_state
        st.session_state[f"_{key}_default"] = default
        st.session_state[key] = (_url_date(key) if first else None) or default
    chosen = st.date_input(state.tr("ui.sidebar.as_of"), key=key, format="YYYY-MM-DD", help=help)
    _keep_in_url(key, None if chosen == default else chosen.isoformat())
    return chosen


def _keep_in_url(key: str, value: str | None) -> None:
    """Put ``value`` in the URL as ?<key>=… (None: remove it), written only when it changes."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def team(teams: list[str], key: str = "team") -> str:
    """The team filter (state.ALL: everyone), kept in the URL."""
    _worded(key)
    return st.selectbox(
        state.tr("ui.sidebar.team"),
        [state.ALL, *teams],
        key=key,
        format_func=lambda x: (
            state.tr("ui.sidebar.all_teams") if x == state.ALL else (x or state.tr("ui.no_team"))
        ),
        bind="query-params",
    )


def pick(
    label: str,
    options: list,
    key: str,
    labels: dict | Callable[[object], str] | None = None,
    index: int | None = 0,
    placeholder: str | None = None,
    bind: bool = False,
    worded: bool = False,
    on_change: Callable[[], None] | None = None,
    container=st,
    **kwargs,
):
    """A select box over ``options`` shown with ``labels`` (a mapping or a function; default the option
    itself). ``bind`` keeps the pick in the URL; ``worded`` re-sends the labels when the language changes."""
    if worded:
        _worded(key)
    if index is not None and key in st.session_state and st.session_state[key] in options:
        # The session value decides the pick; a default index beside a value set through session state
        # (a language switch, a "show this week" button) makes Streamlit log a duplicate-value warning.
        index = 0
    if isinstance(labels, dict):
        mapping = labels
        labels = lambda o: mapping.get(o, str(o))  # noqa: E731
    return container.selectbox(
        label,
        options,
        index=index,
        key=key,
        format_func=labels or str,
        placeholder=placeholder,
        bind="query-params" if bind else None,
        **({"on_change": on_change} if on_change else {}),
        **kwargs,
    )


def _url_pick(column: str, options: list[str], placeholder: str, key: str, container) -> str | None:
    """A pick headed like the tables' ``column`` (none until chosen), kept in the URL (?<key>=…)."""
    label = state.tr(f"ui.col.{column}")
    return pick(label, options, key=key, index=None, placeholder=placeholder, bind=True, container=container)


def kam(kams: list[str], placeholder: str, key: str = "kam", container=st) -> str | None:
    """A KAM pick (none until chosen), kept in the URL (?kam=…)."""
    return _url_pick("kam", kams, placeholder, key, container)


def week(weeks: list[str], placeholder: str, key: str = "week", container=st) -> str | None:
    """A week pick (none until chosen), kept in the URL (?week=…)."""
    return _url_pick("week", weeks, placeholder, key, container)


@st.cache_resource(show_spinner=False)
def _link_key(path: str) -> bytes:
    file = Path(path)
    try:
        return bytes.fromhex(file.read_text().strip())
    except (OSError, ValueError):
        key = secrets.token_bytes(16)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(key.hex())
        os.chmod(file, 0o600)
        return key


def link_key() -> bytes:
    """The installation's key for customer references in URLs ($KAM_LINK_KEY as hex, else a random key kept
    beside the store as ``<store>.linkkey``): a shared link names a customer only to this installation."""
    env = os.environ.get("KAM_LINK_KEY")
    if env:
        return bytes.fromhex(env)
    return _link_key(str(Path(state.store().path).with_suffix(".linkkey")))


def download(d: downloads.Download, key: str, container=st) -> None:
    """The button of one download (present.downloads): its label shown as written, the bytes built only on a
    click, a PDF icon for a PDF; the click does not rerun the page."""
    container.download_button(
        md(d.label),
        data=d.build,
        file_name=d.file_name,
        mime=d.mime,
        key=key,
        on_click="ignore",
        icon=":material/picture_as_pdf:" if d.mime == downloads.PDF else ":material/download:",
    )


PRELOAD_CHARTS = "charts_preload"
# Off screen and transparent rather than display:none: out of the layout and unseen, while a drawn chart still
# counts as drawn for whatever waits for a page's charts (the browser tests' settle()).
_PRELOAD_STYLE = (
    f"<style>.st-key-{PRELOAD_CHARTS} {{position: fixed; left: -10000px; top: 0; width: 700px; opacity: 0;"
    " pointer-events: none;}</style>"
)


def preload_charts() -> None:
    """An invisible, empty chart: the browser loads and compiles the chart library (Streamlit fetches it
    lazily, with the first chart of a page load) now, on a page without charts, and not when the overview is
    opened next; after a file's upload that costs 1–2 s of the refreshed overview on a busy 2-core machine."""
    import plotly.graph_objects as go

    st.html(_PRELOAD_STYLE)
    with st.container(key=PRELOAD_CHARTS):
        st.plotly_chart(go.Figure(), key=f"{PRELOAD_CHARTS}_chart", config={"staticPlot": True})
