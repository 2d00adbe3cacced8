"""dashboard.errors: a page's failure is logged with an id and the page shows a short message with that id."""

from __future__ import annotations

import logging
import re

from streamlit.testing.v1 import AppTest

from kam_metrics.present import upload
from tests.app_pages.conftest import env  # noqa: F401 (the fixture)


def test_a_failing_page_shows_one_message_with_the_error_id_that_the_server_log_has(env, monkeypatch, caplog):  # noqa: F811
    def fail(*args, **kwargs):
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(upload, "view", fail)
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.run()
    with caplog.at_level(logging.ERROR, logger="kam_metrics.dashboard"):
        at.switch_page("app_pages/upload.py").run()
    assert not at.exception
    [message] = [e.value for e in at.error]
    incident = re.search(r"错误编号 ([0-9a-f]{8})", message).group(1)
    assert "the store is on fire" not in message and "Traceback" not in message
    [record] = [r for r in caplog.records if r.name == "kam_metrics.dashboard"]
    assert incident in record.getMessage()
    assert "the store is on fire" in str(record.exc_info[1])
    assert at.title[0].value == "数据上传"  # what ran before the failure stays
