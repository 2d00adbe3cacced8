"""The presentation layer: one module per dashboard page, each building that page's view model from Results.

``PAGES`` maps a page to the call its default render makes (the benchmark times exactly these).
Nothing here imports streamlit; dashboard/ and app_pages/ lay the view models out.
"""

from __future__ import annotations

from collections.abc import Callable

from kam_metrics.engine.report import Results
from kam_metrics.present import commissions, customer, overview, rules, upload, weekly

PAGES: dict[str, Callable[[Results, str], object]] = {
    "overview": overview.view,
    "weekly": weekly.view,
    "attribution": customer.view,
    "commissions": commissions.view,
    "upload": upload.view,
    "rules": rules.view,
}
