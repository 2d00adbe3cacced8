"""The four roles of SPEC §10, what each may do and which pages it has, and the Viewer every core call is made for.

Every presentation call and every download takes a Viewer and builds only what that viewer may see
(access.scope); every changing action checks ``require(viewer, action)`` before it runs, so a page reached by
URL or a hand-made request is refused in the core call, not by a hidden widget.
"""

from __future__ import annotations

import dataclasses
import getpass
import inspect

DIRECTOR, FINANCE, TEAM_LEAD, KAM = "director", "finance", "team_lead", "kam"
ROLES: tuple[str, ...] = (DIRECTOR, FINANCE, TEAM_LEAD, KAM)

# SPEC §10's table, one action name per row of "may".
PERMISSIONS: dict[str, frozenset[str]] = {
    DIRECTOR: frozenset(
        {
            "upload",
            "undo",
            "rebuild",
            "clear",
            "edit_rules",
            "manage_accounts",
            "decide_disputes",
            "adjudicate",
            "reopen",
            "close",
            "file_dispute",
            "download_all",
            "download_statement",
            "check_phone",
            "read_audit",
        }
    ),
    FINANCE: frozenset({"close", "download_all", "download_statement"}),
    TEAM_LEAD: frozenset({"file_dispute", "download_statement", "check_phone"}),
    KAM: frozenset({"file_dispute", "download_statement", "check_phone"}),
}
ACTIONS: frozenset[str] = frozenset().union(*PERMISSIONS.values())

# The dashboard pages of each role, in navigation order; the first is the role's home page.
PAGES: dict[str, tuple[str, ...]] = {
    DIRECTOR: (
        "overview",
        "weekly",
        "attribution",
        "commissions",
        "disputes",
        "close",
        "check",
        "upload",
        "rules",
        "accounts",
        "audit",
    ),
    FINANCE: ("overview", "weekly", "attribution", "commissions", "close"),
    TEAM_LEAD: ("overview", "weekly", "attribution", "commissions", "disputes", "check"),
    KAM: ("mine", "disputes", "check"),
}
ALL_PAGES: tuple[str, ...] = tuple(dict.fromkeys(p for pages in PAGES.values() for p in pages))


@dataclasses.dataclass(frozen=True)
class Viewer:
    """Who a call is made for: an account (login, role and its team or KAM name) or local mode (no accounts).

    ``login`` is what the audit log records: the account's login, ``local`` in local mode, ``cli:<os user>``
    from the command line."""

    login: str
    role: str
    name: str = ""
    team: str | None = None  # team_lead: their team as in the roster
    kam: str | None = None  # kam: their name as in the data
    local: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r} (one of {', '.join(ROLES)})")

    def may(self, action: str) -> bool:
        """Whether this viewer may do ``action`` (one of ACTIONS)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        return action in PERMISSIONS[self.role]

    @property
    def sees_all(self) -> bool:
        """Director and finance see every team's results and rows."""
        return self.role in (DIRECTOR, FINANCE)

    @property
    def pages(self) -> tuple[str, ...]:
        return PAGES[self.role]


LOCAL = Viewer(login="local", role=DIRECTOR, local=True)


def cli_viewer() -> Viewer:
    """The command line acts as the director (it runs on the store's own machine); the audit log names the OS user."""
    return Viewer(login="cli:" + getpass.getuser(), role=DIRECTOR)


class Refused(PermissionError):
    """An action or page the viewer's role may not use (SPEC §10); message key ``access.refused``."""

    def __init__(self, viewer: Viewer, action: str) -> None:
        super().__init__(f"{viewer.login} ({viewer.role}) may not {action}")
        self.viewer = viewer
        self.action = action


def require(viewer: Viewer, action: str) -> None:
    """Raise Refused unless ``viewer`` may do ``action``."""
    if not viewer.may(action):
        raise Refused(viewer, action)


def require_page(viewer: Viewer, page: str) -> None:
    """Raise Refused unless ``page`` is one of the viewer's pages."""
    if page not in viewer.pages:
        raise Refused(viewer, "page:" + page)


def call_as(fn, *args, viewer: Viewer, **kwargs):
    """Call a store function (ingest.decisions, ingest.closes) for ``viewer``: with ``viewer=`` where it takes
    one, and ``by=viewer.login`` where ``by`` is still required."""
    params = inspect.signature(fn).parameters
    if "viewer" in params:
        kwargs["viewer"] = viewer
    if "by" in params and ("viewer" not in params or params["by"].default is inspect.Parameter.empty):
        kwargs["by"] = viewer.login
    return fn(*args, **kwargs)
