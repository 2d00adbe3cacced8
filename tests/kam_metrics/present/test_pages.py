"""kam_metrics.present.PAGES: every dashboard page's default call, as the benchmark times it."""

from __future__ import annotations

from kam_metrics.access.roles import KAM, LOCAL, Viewer
from kam_metrics.present import PAGES, check, commissions, customer, mine, overview, rules, upload, weekly


def test_pages_name_every_page_and_its_default_call_returns_that_pages_view_model(story):
    kinds = {
        "overview": overview.OverviewView,
        "weekly": weekly.WeeklyView,
        "attribution": customer.CustomerView,
        "commissions": commissions.CommissionsView,
        "upload": upload.UploadView,
        "rules": rules.RulesView,
        "mine": mine.MineView,
        "check": check.CheckView,
    }
    assert list(PAGES) == list(kinds)
    own = Viewer(login="wangwei", role=KAM, kam="王伟")
    for name, call in PAGES.items():
        viewer = own if name == "mine" else LOCAL  # 我的 is a KAM's page only
        assert isinstance(call(story, viewer, "zh"), kinds[name]), name
