"""Access tests hash with cheap argon2 parameters: the product's defaults cost ~50 ms a hash, the rules are the same."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from kam_metrics.access import accounts


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
