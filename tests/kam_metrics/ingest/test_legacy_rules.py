"""SPEC §6 v1.2: an existing rules.toml beside the store is imported once, on the first writable open."""

from __future__ import annotations

from kam_metrics.ingest import rules_table
from kam_metrics.ingest.store import Store


def test_a_rules_file_beside_the_store_is_imported_once_on_first_open_by_import(tmp_path):
    (tmp_path / "rules.toml").write_text("[targets]\nnumbers = 77\n", encoding="utf-8")
    store = Store(tmp_path / "kam.duckdb")
    assert rules_table.stored_rules(store).base.targets.numbers == 77
    assert store.cursor().execute("select saved_by from rule_versions").fetchall() == [("import",)]
    store.close()
    (tmp_path / "rules.toml").write_text("[targets]\nnumbers = 12\n", encoding="utf-8")
    reopened = Store(tmp_path / "kam.duckdb")  # a version is stored: the file is not read again
    assert rules_table.stored_rules(reopened).base.targets.numbers == 77
    reopened.close()


def test_a_refused_legacy_rules_file_stores_nothing_and_the_store_still_opens(tmp_path):
    (tmp_path / "rules.toml").write_text("[targets]\nnumbers = -5\n", encoding="utf-8")
    store = Store(tmp_path / "kam.duckdb")
    assert store.cursor().execute("select count(*) from rule_versions").fetchall() == [(0,)]
    store.close()


def test_a_read_only_store_does_not_import_the_rules_file(tmp_path):
    Store(tmp_path / "kam.duckdb").close()
    (tmp_path / "rules.toml").write_text("[targets]\nnumbers = 77\n", encoding="utf-8")
    store = Store(tmp_path / "kam.duckdb", read_only=True)
    assert store.cursor().execute("select count(*) from rule_versions").fetchall() == [(0,)]
    store.close()
