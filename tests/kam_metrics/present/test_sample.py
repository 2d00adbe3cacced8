"""kam_metrics.present.sample: the bundled demo data and whether the store holds only it."""

from __future__ import annotations

from kam_metrics.present import sample
from tests.kam_metrics.present.conftest import PHONE


def _sample_folder(tmp_path):
    """Two small workbooks standing in for the bundled sample (is_sample and load_sample read *.xlsx)."""
    from kam_metrics.export.template import write_template

    folder = tmp_path / "sample"
    write_template(folder / "b.xlsx", "zh")
    write_template(folder / "a.xlsx", "en")
    return folder


def test_load_sample_ingests_the_workbooks_in_name_order_and_the_store_is_then_sample(store, tmp_path):
    folder = _sample_folder(tmp_path)
    loaded = sample.load_sample(store, folder)
    assert [r.file for r in loaded] == ["a.xlsx", "b.xlsx"]
    assert sample.is_sample(store.uploads(), folder)


def test_store_is_not_sample_when_empty_or_when_any_upload_is_not_a_sample_file(store, upload, tmp_path):
    folder = _sample_folder(tmp_path)
    assert not sample.is_sample(store.uploads(), folder)
    sample.load_sample(store, folder)
    upload("leads", [{"reported_at": "2026-09-08", "kam": "王伟", "phone": PHONE}])
    assert not sample.is_sample(store.uploads(), folder)
