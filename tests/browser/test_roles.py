"""Roles in a real browser (SPEC §10): on the bundled sample with one account per role made through the core
API, each role signs in and every page and download it has is scanned.

- a KAM: every page and its statement download hold only that KAM's rows (no other KAM's name from the roster,
  no full mobile number that is not on the KAM's own leads); 查重 never names the other KAM; another role's
  page reached by URL (also as the first request of a fresh browser session) is refused;
- a team lead: only their team's KAMs, no full mobile number anywhere, the team's statement download likewise;
- finance: every KAM's statement and the full download, but no upload or rules page;
- five wrong passwords lock the login; a refresh keeps the sign-in; sign-out ends it (the old cookie too);
- without accounts: local mode with its notice, and the first director account made there turns sign-in on.

Skipped without /usr/bin/chromium unless CI=true (then it fails).
"""

from __future__ import annotations

import io
import shutil
import socket
import urllib.parse

import pytest
from openpyxl import load_workbook

from kam_metrics.access import accounts
from kam_metrics.access.roles import LOCAL, PAGES
from kam_metrics.engine import report
from kam_metrics.i18n import t
from kam_metrics.ingest.store import Store
from kam_metrics.present import commissions, sample
from tests.browser.support import SLOW, Server, read_table, require_browser, screenshot, wait_idle
from tests.browser.test_privacy import TEXT_JS, UNMASKED

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

PASSWORD = "sample password 1"
OWN_KAM, TEAM = "王伟", "一组"
VIEWPORT = {"width": 1500, "height": 2600}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    require_browser()
    store = Store(tmp_path_factory.mktemp("roles-sample") / "kam.duckdb")
    sample.load_sample(store)
    store.cursor().execute("CHECKPOINT")
    store.close()
    return store.path


@pytest.fixture(scope="module")
def facts(sample_db, tmp_path_factory):
    """What the scans compare against, from the stored sample (computed here, not read off the pages)."""
    copy = tmp_path_factory.mktemp("roles-facts") / "kam.duckdb"
    shutil.copy(sample_db, copy)
    store = Store(copy)
    try:
        results = report.compute(store)
    finally:
        store.close()
    kams = dict(zip(results.kams["kam"], results.kams["team"], strict=True))
    leads = results.leads
    own_leads = leads[leads["kam"] == OWN_KAM]
    team_kams = {k for k, team in kams.items() if team == TEAM}
    team_leads = leads[leads["kam"].isin(team_kams)]
    claims = results.claims
    other = claims[(claims["kam"] != OWN_KAM) & claims["lapse_ts"].isna()]  # held now: no lapse
    return {
        "kams": kams,
        "statement_kams": set(results.statement["kam"]),
        "own_phones": set(own_leads["phone"]),
        # A customer may bear a KAM's name: such a name on the KAM's own customers is not a leak.
        "own_customer_names": set(own_leads["customer_name"].dropna()),
        "team_kams": team_kams,
        "team_customer_names": set(team_leads["customer_name"].dropna()),
        "held_by_other": str(other["phone"].iloc[0]),
        "holder": str(other["kam"].iloc[0]),
    }


@pytest.fixture(scope="module")
def server(sample_db, tmp_path_factory):
    """The sample store with a director, finance, a team lead of 一组, the KAM 王伟 and a KAM to lock out."""
    folder = tmp_path_factory.mktemp("roles")
    app = Server(folder)
    shutil.copy(sample_db, app.db)
    store = Store(app.db)
    try:
        accounts.add(store, "boss", PASSWORD, "director", name="张总", viewer=LOCAL)
        director = accounts.viewer_of(accounts.accounts(store)[0])
        accounts.add(store, "cash", PASSWORD, "finance", name="钱会计", viewer=director)
        accounts.add(store, "lead", PASSWORD, "team_lead", name="赵组长", team=TEAM, viewer=director)
        accounts.add(store, "wang", PASSWORD, "kam", name=OWN_KAM, kam=OWN_KAM, viewer=director)
        accounts.add(store, "locked", PASSWORD, "kam", name="李娜", kam="李娜", viewer=director)
        store.cursor().execute("CHECKPOINT")
    finally:
        store.close()
    try:
        yield app.start().wait_ready()
    finally:
        app.stop()


def _open(page, server: Server, path: str = "/") -> None:
    page.goto(server.url + path, wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=SLOW)
    wait_idle(page)


def _settle(page) -> None:
    page.wait_for_timeout(400)  # let a rerun start before waiting for it to end
    wait_idle(page)
    page.wait_for_timeout(1000)  # data grids draw after the script run


def _sign_in(page, server: Server, login: str, password: str = PASSWORD, path: str = "/") -> None:
    _open(page, server, path)
    page.get_by_label(t("auth.signin.login", "zh"), exact=True).fill(login)
    page.get_by_label(t("auth.signin.password", "zh"), exact=True).fill(password)
    page.get_by_role("button", name=t("auth.signin.submit", "zh"), exact=True).click()
    _settle(page)


def _nav(page) -> list[str]:
    # A link's text is its icon's ligature name, then its title.
    return [
        x.split("\n")[-1].strip() for x in page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
    ]


def _titles(role: str) -> list[str]:
    return [t(f"ui.page.{p}", "zh") for p in PAGES[role]]


def _text(page) -> str:
    text = page.evaluate(TEXT_JS)
    assert "Traceback" not in text
    return text


def _page_texts(page) -> list[str]:
    """The page's text, then again with each tab and expander opened in turn (hidden grids draw no cells)."""
    texts = [_text(page)]
    for selector in ("[role='tab']", "[data-testid='stExpander'] summary"):
        items = page.locator(selector)
        for i in range(items.count()):
            items.nth(i).click()
            page.wait_for_timeout(800)
            texts.append(_text(page))
    return texts


def _every_page(page) -> dict[str, str]:
    """Each page of the navigation opened in turn: title → all its text."""
    seen = {}
    for i, title in enumerate(_nav(page)):
        page.locator("[data-testid='stSidebarNavLink']").nth(i).click()
        _settle(page)
        seen[title] = "\n".join(_page_texts(page))
    return seen


def _download(page, button: str) -> bytes:
    with page.expect_download(timeout=SLOW) as info:
        page.locator("[data-testid='stDownloadButton'] button").filter(has_text=button).first.click()
    return open(info.value.path(), "rb").read()


def _cells(book_bytes: bytes) -> str:
    book = load_workbook(io.BytesIO(book_bytes), read_only=True)
    return "\n".join(
        str(v)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )


def _leaks(text: str, names: set[str], phones_allowed: set[str]) -> tuple[set[str], set[str]]:
    return {n for n in names if n in text}, {p for p in UNMASKED.findall(text) if p not in phones_allowed}


# -- a KAM ---------------------------------------------------------------------------------------
def test_a_kam_sees_and_downloads_only_their_own_rows_and_is_refused_other_pages(server, browser, facts):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    _sign_in(page, server, "wang")
    assert _nav(page) == _titles("kam")
    others = {k for k in facts["kams"] if k != OWN_KAM} - facts["own_customer_names"]
    texts = _every_page(page)
    assert set(texts) == set(_titles("kam"))
    for title, text in texts.items():
        names, phones = _leaks(text, others, facts["own_phones"])
        assert not names, f"{title} names other KAMs: {names}"
        assert not phones, f"{title} shows full phones not on {OWN_KAM}'s leads: {sorted(phones)[:5]}"
    mine = texts[t("ui.page.mine", "zh")]
    assert OWN_KAM in mine and any(p in mine for p in facts["own_phones"]), "my customers are on 我的"

    page.locator("[data-testid='stSidebarNavLink']").nth(0).click()
    _settle(page)
    screenshot(page, "mine")
    book = _cells(_download(page, t("ui.comm.download_kam", "zh", kam=OWN_KAM)))
    assert OWN_KAM in book
    names, phones = _leaks(book, others, facts["own_phones"])
    assert not names and not phones, f"statement leaks {names} {sorted(phones)[:5]}"

    # 查重 of another KAM's customer: held, never named.
    page.locator("[data-testid='stSidebarNavLink']").filter(has_text=t("ui.page.check", "zh")).click()
    _settle(page)
    page.get_by_label(t("auth.check.label", "zh")).fill(facts["held_by_other"])
    page.keyboard.press("Enter")
    _settle(page)
    answer = page.locator("[data-testid='stAlert']").last.inner_text()
    assert t("auth.check.held", "zh") in answer and facts["holder"] not in answer

    # Another role's page by URL, in this session and as the first request of a new one (the cookie resumes).
    for path, name in (
        ("/upload", "upload"),
        ("/rules", "rules"),
        ("/overview", "overview"),
        ("/audit", "audit"),
    ):
        fresh = context.new_page()
        _open(fresh, server, path)
        refused = t("auth.refused", "zh", page=t(f"ui.page.{name}", "zh"), role=t("auth.role.kam", "zh"))
        assert refused in fresh.locator("[data-testid='stMain']").inner_text()
        assert fresh.locator("[data-testid='stFileUploader']").count() == 0
        assert fresh.locator("[data-testid='stDataFrame']").count() == 0
        assert _nav(fresh) == _titles("kam")
        fresh.close()
    context.close()


# -- a team lead ---------------------------------------------------------------------------------
def test_a_team_lead_sees_only_their_teams_kams_and_never_a_full_phone(server, browser, facts):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    _sign_in(page, server, "lead")
    assert _nav(page) == _titles("team_lead")
    others = {k for k, team in facts["kams"].items() if team != TEAM} - facts["team_customer_names"]
    texts = _every_page(page)
    for title, text in texts.items():
        names, phones = _leaks(text, others, set())
        assert not names, f"{title} names KAMs of other teams: {names}"
        assert not phones, f"{title} shows full phones: {sorted(phones)[:5]}"
    assert all(k in texts[t("ui.page.commissions", "zh")] for k in facts["team_kams"]), (
        "the team side by side"
    )

    page.locator("[data-testid='stSidebarNavLink']").nth(_titles("team_lead").index("佣金结算")).click()
    _settle(page)
    book = _cells(_download(page, t("scope.download.team", "zh", team=TEAM)))
    names, phones = _leaks(book, others, set())
    assert not names and not phones, f"team statement leaks {names} {sorted(phones)[:5]}"
    assert all(k in book for k in facts["team_kams"])
    _open(page, server, "/upload")
    assert t("auth.refused", "zh", page=t("ui.page.upload", "zh"), role=t("auth.role.team_lead", "zh")) in (
        page.locator("[data-testid='stMain']").inner_text()
    )
    context.close()


# -- finance -------------------------------------------------------------------------------------
def test_finance_sees_every_statement_but_has_no_upload_or_rules_page(server, browser, facts):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    _sign_in(page, server, "cash")
    assert _nav(page) == _titles("finance")
    _open(page, server, "/commissions?" + urllib.parse.urlencode({"month": commissions.ALL}))  # every month
    _settle(page)
    statement = read_table(page, t("ui.col.net", "zh"))
    assert {r[t("ui.col.kam", "zh")] for r in statement["rows"]} >= facts["statement_kams"]  # and the totals
    book = _cells(_download(page, t("ui.comm.download_all", "zh")))
    assert all(k in book for k in facts["kams"])
    for path, name in (("/upload", "upload"), ("/rules", "rules")):
        _open(page, server, path)
        main = page.locator("[data-testid='stMain']").inner_text()
        assert (
            t("auth.refused", "zh", page=t(f"ui.page.{name}", "zh"), role=t("auth.role.finance", "zh"))
            in main
        )
        assert page.locator("[data-testid='stFileUploader']").count() == 0
        assert page.locator("button").filter(has_text=t("ui.rules.save", "zh")).count() == 0
    context.close()


# -- sign-in itself ------------------------------------------------------------------------------
def test_five_wrong_passwords_lock_the_login(server, browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    wrong = accounts.AccessError("access.bad_credentials").message("zh")
    for _ in range(5):
        _sign_in(page, server, "locked", "not the password")
        assert wrong in page.locator("[data-testid='stAlertContentError']").inner_text()
    _sign_in(page, server, "locked", PASSWORD)
    error = page.locator("[data-testid='stAlertContentError']").inner_text()
    assert wrong not in error and t("access.locked", "zh").split("{")[0] in error
    assert page.locator("[data-testid='stSidebarNavLink']").count() == 0
    context.close()


def test_a_refresh_keeps_the_sign_in_and_sign_out_ends_it_also_for_the_old_cookie(server, browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    _sign_in(page, server, "boss", path="/weekly")
    assert page.locator("h1").first.inner_text() == t("ui.page.weekly", "zh"), "the address asked for opens"
    page.reload(wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=SLOW)
    wait_idle(page)
    assert page.locator("h1").first.inner_text() == t("ui.page.weekly", "zh")
    assert _nav(page) == _titles("director")
    assert "张总" in page.locator("[data-testid='stSidebar']").inner_text()
    cookies = context.cookies()
    assert any(c["name"] == "kam_session" for c in cookies)

    page.locator("[data-testid='stSidebar']").get_by_role("button", name=t("auth.signout", "zh")).click()
    _settle(page)
    assert page.locator("h1").first.inner_text() == t("auth.signin.title", "zh")
    assert page.locator("[data-testid='stSidebarNavLink']").count() == 0
    assert not any(c["name"] == "kam_session" for c in context.cookies())
    page.reload(wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=SLOW)
    wait_idle(page)
    assert page.locator("h1").first.inner_text() == t("auth.signin.title", "zh")
    context.close()

    replay = browser.new_context(viewport=VIEWPORT)  # the ended session's cookie, kept by someone
    replay.add_cookies([c for c in cookies if c["name"] == "kam_session"])
    page = replay.new_page()
    _open(page, server, "/upload")
    assert page.locator("h1").first.inner_text() == t("auth.signin.title", "zh")
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    replay.close()


# -- local mode ----------------------------------------------------------------------------------
def _outside_address() -> str | None:
    """This machine's address on its network (what another computer would connect to), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent, only a route is chosen
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_without_accounts_local_mode_shows_its_notice_and_the_first_director_turns_sign_in_on(
    sample_db, browser, tmp_path
):
    outside = _outside_address()
    app = Server(tmp_path, address="0.0.0.0" if outside else "127.0.0.1")
    shutil.copy(sample_db, app.db)
    app.start().wait_ready()
    try:
        page = browser.new_page(viewport=VIEWPORT)
        if outside:  # local mode asked for from the network: only the message, no page, no data
            page.goto(f"http://{outside}:{app.port}/upload", wait_until="domcontentloaded")
            page.locator("h1").first.wait_for(timeout=SLOW)
            wait_idle(page)
            main = page.locator("[data-testid='stMain']").inner_text()
            assert t("auth.local.remote", "zh") in main
            assert page.locator("[data-testid='stFileUploader'], [data-testid='stDataFrame']").count() == 0
            assert page.locator("[data-testid='stSidebarNavLink']").count() == 0
        _open(page, app, "/")
        main = page.locator("[data-testid='stMain']").inner_text()
        assert t("auth.local.badge", "zh") in main and "--server.address 0.0.0.0" in main
        assert _nav(page) == _titles("director")
        page.get_by_role("button", name=t("auth.local.create", "zh")).click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label(t("auth.field.login", "zh")).fill("boss")
        dialog.get_by_label(t("auth.field.name", "zh")).fill("张总")
        dialog.get_by_label(t("auth.field.password", "zh")).fill(PASSWORD)
        dialog.get_by_label(t("auth.field.again", "zh")).fill(PASSWORD)
        dialog.get_by_role("button", name=t("auth.first.submit", "zh")).click()
        _settle(page)
        assert page.locator("h1").first.inner_text() == t("auth.signin.title", "zh")
        assert page.locator("[data-testid='stSidebarNavLink']").count() == 0
        _sign_in(page, app, "boss")
        assert page.locator("h1").first.inner_text() == t("ui.page.overview", "zh")
        assert t("auth.local.badge", "zh") not in page.locator("[data-testid='stMain']").inner_text()
        page.close()
    finally:
        app.stop()
