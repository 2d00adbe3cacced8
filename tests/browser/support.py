"""Helpers for the real-browser tests (tests/test_browser.py): a Streamlit server in a child process,
Chromium through Playwright for Python, and readers for what Streamlit draws (tables, metrics)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 2200}
SLOW = 30_000  # ms: every wait on a 2-core machine
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SCREENSHOTS = Path(os.environ.get("KAM_SCREENSHOTS") or ROOT / "docs" / "screenshots")


def require_browser() -> None:
    """Skip (or, when CI=true, fail) unless Playwright for Python and Debian's chromium are both here."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the Python package playwright (pip install -r requirements-dev.txt)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    if not missing:
        return
    message = "real-browser tests need " + " and ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — CI=true, so they must run", pytrace=False)
    pytest.skip(message)


# -- the Streamlit server ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` on a free port with its own store file and rules path."""

    def __init__(self, folder: Path, address: str = "127.0.0.1") -> None:
        self.folder = folder
        self.address = address  # 0.0.0.0: reachable from another computer too
        self.db = folder / "kam.duckdb"
        self.rules = folder / "rules.toml"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "streamlit.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        env = os.environ | {"KAM_DB": str(self.db), "KAM_RULES": str(self.rules)}
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    "app.py",
                    "--server.headless",
                    "true",
                    "--server.port",
                    str(self.port),
                    "--server.address",
                    self.address,
                    "--server.fileWatcherType",
                    "none",
                    "--browser.gatherUsageStats",
                    "false",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped whole at teardown
            )
        return self

    def wait_ready(self, timeout: float = 60) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"streamlit not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def wait_listening(self, timeout: float = 60) -> Server:
        """Wait until the port accepts a connection, without sending any HTTP request (so a test's first
        request to the server is its own)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"streamlit not listening after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass


@contextmanager
def serving(folder: Path, db: Path | None = None) -> Iterator[Server]:
    """A started, healthy server with its files in ``folder`` (its store a copy of the file ``db`` when given),
    stopped on leaving, whatever happened."""
    server = Server(folder)
    if db is not None:
        shutil.copy(db, server.db)
    server.start()
    try:
        yield server.wait_ready()
    finally:
        server.stop()


# -- the page ------------------------------------------------------------------------------------
def wait_idle(page) -> None:
    """Wait until the script run of this page has finished and nothing on screen is left from an older run.

    The browser may draw elements a while after the run ended (a component's code loads on first use), so
    readers below also wait for what they read."""
    page.wait_for_selector(IDLE, timeout=SLOW)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=SLOW)


def open_page(page, server: Server, path: str = "/") -> None:
    """Load ``path`` (a fresh session) and wait for its first run to finish."""
    page.goto(server.url + path, wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=SLOW)
    wait_idle(page)


def settle(page) -> None:
    """Before a screenshot: the run finished, nothing stale on screen, charts drawn, no hover label."""
    wait_idle(page)
    for chart in page.locator("[data-testid='stPlotlyChart']").all():
        chart.locator(".main-svg").first.wait_for(timeout=SLOW)
    page.mouse.move(1, VIEWPORT["height"] - 1)
    page.wait_for_timeout(600)  # plotly transitions, webfont swap


def screenshot(page, name: str) -> Path:
    settle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, type="png")
    return path


def header(page, column: str):
    """A column header of a shown table (the grid's accessible mirror is not visible: no get_by_role)."""
    return page.locator("table[role='grid'] th").filter(has_text=re.compile(f"^{re.escape(column)}$"))


def dataframe(page, column: str):
    """The shown table (``st.dataframe``) that has a column headed ``column``."""
    frame = page.locator("[data-testid='stDataFrame']").filter(has=header(page, column)).first
    frame.locator("table[role='grid']").wait_for(state="attached", timeout=SLOW)
    return frame


_READ_TABLE = """table => ({
  rowcount: Number(table.getAttribute('aria-rowcount')) - 1,
  headers: [...table.querySelectorAll('thead th')].map(th => th.textContent),
  rows: [...table.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent)),
})"""


def read_table(page, column: str, rowcount: int | None = None) -> dict:
    """{rowcount, headers, rows (the rows drawn, as dicts header → text)} of the table with ``column``.

    Streamlit's grid draws on a canvas and mirrors the visible rows in an accessible table; that is
    what is read here (rowcount counts every row, drawn or not). Waits until rows are drawn, and with
    ``rowcount`` until the table has that many rows."""
    return read_grid(dataframe(page, column), rowcount, column)


def read_grid(frame, rowcount: int | None = None, name: str = "") -> dict:
    """read_table of one ``[data-testid='stDataFrame']`` locator."""
    table = frame.locator("table[role='grid']")
    deadline = time.monotonic() + SLOW / 1000
    while True:
        data = table.evaluate(_READ_TABLE)
        drawn = data["rowcount"] == 0 or len(data["rows"]) > 0
        if drawn and rowcount in (None, data["rowcount"]):
            break
        if time.monotonic() > deadline:
            raise AssertionError(
                f"table {name}: {data['rowcount']} rows ({len(data['rows'])} drawn), wanted {rowcount}"
            )
        time.sleep(0.2)
    data["rows"] = [dict(zip(data["headers"], row, strict=False)) for row in data["rows"]]
    return data


def metrics(page, *labels: str) -> dict[str, str]:
    """Every ``st.metric`` on the page: label → value, once the metrics with ``labels`` are drawn."""
    for label in labels:
        page.locator("[data-testid='stMetricLabel']").filter(has_text=label).first.wait_for(timeout=SLOW)
    pairs = page.evaluate(
        """() => [...document.querySelectorAll("[data-testid='stMetric']")].map(m => [
            m.querySelector("[data-testid='stMetricLabel']")?.innerText.trim() ?? "",
            m.querySelector("[data-testid='stMetricValue']")?.innerText.trim() ?? "",
        ])"""
    )  # one snapshot: a rerun cannot swap elements between reading a label and its value
    return dict(pairs)


def pick_option(page, label: str, option: str) -> None:
    """Choose ``option`` (its shown text, or the start of it) in the select box labelled ``label``."""
    page.get_by_label(label).click()
    page.get_by_role("option").filter(has_text=option).first.click()
