"""kam_metrics.present.PAGES: every dashboard page's default call, as the benchmark times it."""

from __future__ import annotations

from kam_metrics.present import PAGES, commissions, customer, overview, rules, upload, weekly


def test_pages_name_every_page_and_its_default_call_returns_that_pages_view_model(story):
    kinds = {
        "overview": overview.OverviewView,
        "weekly": weekly.WeeklyView,
        "attribution": customer.CustomerView,
        "commissions": commissions.CommissionsView,
        "upload": upload.UploadView,
        "rules": rules.RulesView,
    }
    assert list(PAGES) == list(kinds)
    for name, call in PAGES.items():
        assert isinstance(call(story, "zh"), kinds[name]), name
