"""Real-browser tests of SPEC §8 and §9 in local mode (the viewer is roles.LOCAL, a director): disputes filed by a KAM
(through the core API: filing in the browser needs sign-in) decided in the queue, a direct adjudication, and a month
closed, changed by a later upload, adjusted in the next month and reopened."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from kam_metrics.access.roles import Viewer
from kam_metrics.engine import report
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store
from kam_metrics.present import disputes, format, sample
from tests.browser.support import (
    SLOW,
    VIEWPORT,
    Server,
    open_page,
    read_table,
    screenshot,
    wait_idle,
)
from tests.helpers import write_csv

pytestmark = pytest.mark.browser
WANG = Viewer(login="wang", role="kam", kam="王伟")


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """The bundled sample in a store file, built once; each server gets a copy."""
    folder = tmp_path_factory.mktemp("disputes-sample")
    store = Store(folder / "kam.duckdb")
    sample.load_sample(store)
    store.cursor().execute("CHECKPOINT")
    store.close()
    return folder / "kam.duckdb"


def serve(folder, db) -> Server:
    server = Server(folder)
    shutil.copy(db, server.db)
    return server


def choose(page, key: str, option: str) -> None:
    """Pick the option containing ``option`` in the select box with widget key ``key`` (typing filters it)."""
    box = page.locator(f".st-key-{key} input").first
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()
    wait_idle(page)


def batches(page, server, kam: str, week: str) -> str:
    """The 带访批次 count the weekly page shows for one KAM-week."""
    open_page(page, server, f"/weekly?kam={kam}&week={week}")
    rows = read_table(page, t("ui.col.quota", "zh"))["rows"]
    return next(
        r[t("ui.col.count", "zh")] for r in rows if r[t("ui.col.quota", "zh")] == t("ui.col.batches", "zh")
    )


def assessed_refused_visits(res, kam: str) -> list[tuple[disputes.Row, str]]:
    """The KAM's refused visits in assessed weeks (newest first) with the week holding each."""
    weekly = res.weekly[(res.weekly["kam"] == kam) & ~res.weekly["in_progress"].astype(bool)]
    found = []
    for row in disputes.rows(res, WANG, "visit", "zh", refused_only=True):
        start = pd.Timestamp(row.key["at"]).normalize() - pd.Timedelta(
            days=pd.Timestamp(row.key["at"]).weekday()
        )
        week = weekly[weekly["week_start"].map(pd.Timestamp) == start]
        if not week.empty:
            found.append((row, str(week["week"].iloc[0])))
    return found


def test_the_director_decides_a_kams_disputes_and_adjudicates_a_visit_directly(
    browser, page, sample_store, tmp_path
):
    # The KAM files two disputes through the core API (filing in the browser needs sign-in), before the server
    # holds the store; the expected weekly counts come from the engine on the same store.
    folder = tmp_path / "server"
    folder.mkdir()
    shutil.copy(sample_store, folder / "kam.duckdb")
    store = Store(folder / "kam.duckdb")
    before = report.compute(store)
    visits = assessed_refused_visits(before, "王伟")
    (rejected, rejected_week), (accepted, accepted_week), (direct, direct_week) = visits[:3]
    first, _ = disputes.file_dispute(store, before, WANG, rejected, "valid", "这是首访")
    second, _ = disputes.file_dispute(store, before, WANG, accepted, "valid", "客户第一次来")
    counts = {w: str(int(before.weekly[(before.weekly["kam"] == "王伟") & (before.weekly["week"] == w)]["batches"].iloc[0]))
              for w in {rejected_week, accepted_week, direct_week}}  # fmt: skip
    store.cursor().execute("CHECKPOINT")
    store.close()

    server = Server(folder).start().wait_ready()
    try:
        assert batches(page, server, "王伟", rejected_week) == counts[rejected_week]
        open_page(page, server, "/disputes")
        page.get_by_text(t("ui.disputes.queue", "zh", n=2)).wait_for()
        page.get_by_text(t("ui.disputes.evidence", "zh")).wait_for()
        evidence = read_table(page, t("ui.col.claim_holder", "zh"))
        assert evidence["rowcount"] > 0 and all(
            r[t("ui.col.file", "zh")].endswith(".xlsx") for r in evidence["rows"]
        )
        screenshot(page, "dispute_queue")

        # Rejected: nothing changes.
        choose(page, "dsp_pick", f"#{first} ·")
        page.locator(".st-key-decide_reason input").fill("登记在先，非首访")
        page.get_by_role("button", name=t("ui.disputes.reject", "zh")).click()
        page.get_by_text(t("ui.disputes.rejected", "zh", id=first)).wait_for()
        wait_idle(page)
        assert batches(page, server, "王伟", rejected_week) == counts[rejected_week]

        # Accepted: the visit counts, one more batch in its week.
        open_page(page, server, "/disputes")
        page.get_by_text(t("ui.disputes.queue", "zh", n=1)).wait_for()
        page.locator(".st-key-decide_reason input").fill("核实为首访")
        page.get_by_role("button", name=t("ui.disputes.accept", "zh")).click()
        page.get_by_text(t("ui.disputes.accepted", "zh", id=second, adjudication=1)).wait_for()
        wait_idle(page)
        shown = int(counts[accepted_week]) + (2 if accepted_week == direct_week else 1)
        open_page(page, server, "/disputes")
        # Direct adjudication of a third refused visit.
        choose(page, "adj_kam", "王伟")
        choose(page, "adj_row", direct.label.split(" · ")[2])  # its masked phone
        page.locator(".st-key-adj_reason input").fill("纸质登记表证明首访")
        page.get_by_role("button", name=t("ui.disputes.adjudicate", "zh")).click()
        page.get_by_text(t("ui.disputes.adjudicated", "zh", id=2)).wait_for()
        wait_idle(page)
        adjudications = read_table(page, t("ui.col.orphaned", "zh"), rowcount=2)["rows"]
        assert [r[t("ui.col.reason", "zh")] for r in adjudications] == ["核实为首访", "纸质登记表证明首访"]
        assert batches(page, server, "王伟", accepted_week) == str(shown)
        if direct_week != accepted_week:
            assert batches(page, server, "王伟", direct_week) == str(int(counts[direct_week]) + 1)
    finally:
        server.stop()
    store = Store(folder / "kam.duckdb")
    try:
        from kam_metrics.ingest import decisions

        assert decisions.disputes(store)["state"].tolist() == ["rejected", "accepted"]
    finally:
        store.close()


def test_a_closed_month_keeps_its_figures_and_the_next_month_shows_the_adjustment_then_reopens(
    browser, page, sample_store, tmp_path
):
    store = Store(sample_store)
    res = report.compute(store)
    store.close()
    lines = res.commissions[
        (res.commissions["line"] == "commission") & (res.commissions["month"] == "2026-09")
    ]
    deal = lines[lines["type"] != "unattributed"].iloc[0]
    leads = res.leads[(res.leads["phone"] == deal["phone"]) & (res.leads["kam"] == deal["kam"])]
    first_lead = leads.sort_values("reported_at").iloc[0]["reported_at"]
    # A registration the day before the KAM's lead arrives later: the lead becomes an overlap, the deal nobody's.
    late = write_csv(tmp_path / "客户登记.csv", "registrations", [{
        "registered_at": f"{first_lead - pd.Timedelta(days=1):%Y-%m-%d %H:%M}", "customer_name": "补录",
        "phone": deal["phone"], "salesperson": "孙丽"}])  # fmt: skip
    folder = tmp_path / "server"
    folder.mkdir()
    server = serve(folder, sample_store).start().wait_ready()
    try:
        open_page(page, server, "/close")
        page.get_by_text(t("ui.close.ready", "zh", month="2026-09")).wait_for()
        statement = read_table(page, t("ui.col.net", "zh"))["rows"]
        page.get_by_role("button", name=t("ui.close.button", "zh", month="2026-09")).click()
        page.get_by_text("2026-09 已月结：").first.wait_for()
        wait_idle(page)

        open_page(page, server, "/upload")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files([str(late)])
        page.get_by_role("button", name=t("ux.sample.keep_both", "zh")).click()  # real rows onto the sample
        page.locator("[data-testid='stMarkdownContainer']").filter(has_text=f"{late.name}：").first.wait_for()
        wait_idle(page)

        open_page(page, server, "/close")
        choose(page, "close_month", "2026-09")
        page.get_by_text(t("ui.close.is_closed", "zh", month="2026-09")).wait_for()
        frozen = read_table(page, t("ui.col.net", "zh"))["rows"]
        state = t("ui.col.state", "zh")
        assert [{k: v for k, v in r.items() if k != state} for r in frozen] == [
            {k: v for k, v in r.items() if k != state} for r in statement
        ]
        assert {r[state] for r in frozen} == {t("ui.close.frozen", "zh")}
        choose(page, "close_month", "2026-10")
        rows = read_table(page, t("ui.col.source_month", "zh"))["rows"]
        ref = f"{deal['property']} · {format.mask_phone(deal['phone'])} · {deal['signed_date']:%Y-%m-%d}"
        mine = [r for r in rows if r[t("ui.col.ref", "zh")] == ref]
        assert [
            (r[t("ui.col.kam", "zh")], r[t("ui.col.source_month", "zh")], r[t("ui.col.amount", "zh")])
            for r in mine
        ] == [(deal["kam"], "2026-09", format.money(-deal["kam_commission"]))]
        assert (
            t("close.why.credit_none", "zh", reason=t("reason.registry_overlap", "zh"))
            in mine[0][t("ui.col.reason", "zh")]
        )
        screenshot(page, "close")

        page.locator(".st-key-reopen_reason input").fill("补录案场登记后重新核对")
        page.get_by_role("button", name=t("ui.close.reopen", "zh", month="2026-09")).click()
        page.get_by_text(t("ui.close.reopened", "zh", month="2026-09")).wait_for()
        wait_idle(page)
        closes = read_table(page, t("close.col.closed_by", "zh"))["rows"]
        assert closes[0][t("close.col.state", "zh")].endswith("由 local 重新打开：补录案场登记后重新核对")
    finally:
        server.stop()


def test_a_signed_in_kam_files_the_director_accepts_and_the_week_statement_and_audit_log_change(
    browser, sample_store, tmp_path
):
    # Sign-in on: the KAM 王伟 files on a refused visit of his in the browser, the director accepts it in the
    # browser; the engine on the stored data then counts the visit, and the audit log names both logins.
    from kam_metrics.access import accounts, audit
    from kam_metrics.access.roles import LOCAL
    from kam_metrics.ingest import decisions
    from tests.browser.test_roles import _sign_in

    folder = tmp_path / "server"
    folder.mkdir()
    shutil.copy(sample_store, folder / "kam.duckdb")
    store = Store(folder / "kam.duckdb")
    accounts.add(store, "boss", "sample password 1", "director", name="张总", viewer=LOCAL)
    director = accounts.viewer_of(accounts.find(store, "boss"))
    accounts.add(store, "wang", "sample password 1", "kam", name="王伟", kam="王伟", viewer=director)
    before = report.compute(store)
    store.cursor().execute("CHECKPOINT")
    store.close()

    server = Server(folder).start().wait_ready()
    contexts = []
    try:

        def signed_in(login: str):
            ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            ctx.set_default_timeout(SLOW)
            contexts.append(ctx)
            page = ctx.new_page()
            _sign_in(page, server, login, path="/disputes")
            page.get_by_role("heading", name=t("ui.page.disputes", "zh")).first.wait_for()
            wait_idle(page)
            return page

        kam = signed_in("wang")
        kam.locator(".st-key-file_note textarea").fill("客户是我带来的首访")
        kam.get_by_role("button", name=t("ui.disputes.submit", "zh")).click()
        kam.get_by_text(t("ui.disputes.filed", "zh", id=1)).wait_for()
        wait_idle(kam)
        screenshot(kam, "dispute_filed")

        boss = signed_in("boss")
        boss.get_by_text(t("ui.disputes.queue", "zh", n=1)).wait_for()
        boss.locator(".st-key-decide_reason input").fill("核实为首访")
        boss.get_by_role("button", name=t("ui.disputes.accept", "zh")).click()
        boss.get_by_text(t("ui.disputes.accepted", "zh", id=1, adjudication=1)).wait_for()
        wait_idle(boss)
    finally:
        for ctx in contexts:
            ctx.close()
        server.stop()

    store = Store(folder / "kam.duckdb")
    try:
        (filed,) = decisions.disputes(store).to_dict("records")
        assert (filed["kind"], filed["kam"], filed["filed_by"], filed["state"], filed["decided_by"]) == (
            "visit", "王伟", "wang", "accepted", "boss",
        )  # fmt: skip
        after = report.compute(store)
        log = audit.entries(store)
    finally:
        store.close()
    # The visit now counts in its week: one more batch for 王伟 there, and the week's fine is 10 less when the
    # week was short of batches (SPEC §4: 10 per missing batch).
    at = pd.Timestamp(filed["row_at"])
    week_start = (at.normalize() - pd.Timedelta(days=at.weekday())).date()

    def week_of(res):
        w = res.weekly[
            (res.weekly["kam"] == "王伟") & (res.weekly["week_start"].map(pd.Timestamp).dt.date == week_start)
        ]
        return int(w["batches"].iloc[0]), w["fine"].iloc[0], bool(w["in_progress"].iloc[0])

    (b0, fine0, in_progress), (b1, fine1, _) = week_of(before), week_of(after)
    assert b1 == b0 + 1
    short = before.rules.targets.batches - b0 > 0
    assert fine1 == fine0 - (10 if short and not in_progress else 0)
    kinds = [(r["login"], r["action"]) for r in log.to_dict("records") if r["action"].startswith("dispute")]
    assert kinds == [("wang", "dispute_file"), ("boss", "dispute_accept")]
