"""The navigation of one viewer: exactly the pages of its role (roles.PAGES, the first is its home at "/").

A page the role may not use is absent from the menu; its address is registered as a hidden page that only
says it is refused, so a URL typed or shared from another role's screen never runs that page's file. Before
sign-in every address is the sign-in form (the URL is kept, so a signed-in reload opens the page asked for).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from dashboard import state
from kam_metrics.access.roles import ALL_PAGES, Viewer

ICONS = {
    "overview": "dashboard",
    "weekly": "calendar_month",
    "attribution": "person_search",
    "commissions": "payments",
    "disputes": "gavel",
    "close": "event_available",
    "check": "travel_explore",
    "upload": "upload_file",
    "rules": "tune",
    "accounts": "manage_accounts",
    "audit": "history",
    "mine": "person",
}


def _file(name: str) -> str:
    return f"app_pages/{name}.py"


def pages_for(viewer: Viewer) -> list[st.Page]:
    """The viewer's pages (visible, in role order) and every other page's address as a hidden refusal."""
    own = viewer.pages
    shown = [
        st.Page(
            _file(name),
            title=_title(name, viewer),
            icon=f":material/{ICONS[name]}:",
            **({"default": True} if i == 0 else {"url_path": name}),
        )
        for i, name in enumerate(own)
    ]
    hidden = [
        st.Page(
            partial(refused, name),
            title=state.tr(f"ui.page.{name}"),
            url_path=name,
            visibility="hidden",
        )
        for name in ALL_PAGES
        if name not in own
    ]
    return shown + hidden


def _title(name: str, viewer: Viewer) -> str:
    """A page's menu title; the disputes page carries its open count (the director's queue, or one's own filings)."""
    title = state.tr(f"ui.page.{name}")
    if name == "disputes" and state.has_data():
        from kam_metrics.present import disputes

        if count := disputes.open_count(state.store(), viewer):
            title = f"{title} ({count})"
    return title


def gate(body: Callable[[], None], title: str) -> list[st.Page]:
    """One page, ``body``, at "/" and at every page's address (sign-in, or local mode refused to a remote client)."""
    return [st.Page(body, title=title, url_path="signin", default=True)] + [
        st.Page(body, title=title, url_path=name, visibility="hidden") for name in ALL_PAGES
    ]


def refused(name: str) -> None:
    """What a page the viewer's role may not use shows instead of itself."""
    st.title(state.tr(f"ui.page.{name}"))
    viewer = state.viewer()
    st.error(
        state.tr(
            "auth.refused",
            page=state.tr(f"ui.page.{name}"),
            role=state.tr(f"auth.role.{viewer.role}"),
        ),
        icon=":material/block:",
    )
    home = viewer.pages[0]
    st.page_link(_file(home), label=state.tr("auth.refused_home", page=state.tr(f"ui.page.{home}")))


def guard(name: str) -> None:
    """A page's first line: stop unless the viewer's role has this page (the menu already leaves it out)."""
    if name not in state.viewer().pages:
        refused(name)
        st.stop()


def page(name: str, needs_data: bool = True) -> Viewer:
    """A page file's start: the guard, its title and (``needs_data``) the empty state without stored data;
    returns the viewer every call of the page is made for."""
    guard(name)
    st.title(state.tr(f"ui.page.{name}"))
    if needs_data:
        from dashboard import (
            sidebar,  # late: the sidebar imports the sign-in widgets, which import this module
        )

        sidebar.require_data()
    return state.viewer()
