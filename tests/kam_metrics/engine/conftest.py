"""Engine fixtures: ``attribution_path`` runs a test once per attribution path (fast, reference pass, split)."""

from __future__ import annotations

import pytest

from kam_metrics.contract.rules import rules_from_dict
from kam_metrics.engine import attribution, report


@pytest.fixture(params=attribution.PATHS)
def attribution_path(request) -> str:
    return request.param


@pytest.fixture
def compute_both_paths(store, attribution_path):
    """Like tests/conftest.py's ``compute``, on the forced path ``attribution_path``. The fast path decides only
    claims that never lapse, so a test with protection_days > 0 is skipped there (the reference pass runs it)."""

    def _compute(as_of=None, **rules):
        parsed = rules_from_dict(rules)
        if attribution_path == attribution.FAST and parsed.protection_days != 0:
            pytest.skip("the fast path decides only claims that never lapse (protection_days = 0)")
        return report.compute(store, parsed, as_of, path=attribution_path)

    return _compute
