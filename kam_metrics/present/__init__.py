"""The presentation layer: one module per dashboard page, each building that page's view model from Results.

``PAGES`` maps a page to the call its default render makes (the benchmark times exactly these): each takes
(results, viewer, lang), scopes the results to the viewer first (access.scope) and raises roles.Refused for a
page the viewer's role does not have. Nothing here imports streamlit; dashboard/ and app_pages/ lay them out.
"""

from __future__ import annotations

from collections.abc import Callable

from kam_metrics.access.roles import Viewer
from kam_metrics.engine.report import Results
from kam_metrics.present import check, commissions, customer, mine, overview, rules, upload, weekly


def _check(results: Results, viewer: Viewer, lang: str) -> check.CheckView:
    """The 查重 page before anything is typed."""
    return check.view(results, viewer, "", lang)


PAGES: dict[str, Callable[[Results, Viewer, str], object]] = {
    "overview": overview.view,
    "weekly": weekly.view,
    "attribution": customer.view,
    "commissions": commissions.view,
    "upload": upload.view,
    "rules": rules.view,
    "mine": mine.view,
    "check": _check,
}
