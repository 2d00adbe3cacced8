"""Test-only entry point: app.py exactly, with the disputes and close pages added to its navigation.

app.py lists its pages by hand until the navigation is built from roles.PAGES (h-dash); until then the tests of
the disputes and close pages run the app through this file. Page paths are resolved against the repository root,
as app.py's own are. Delete this file (and use app.py) once app.py lists those pages."""

import runpy
import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # Streamlit puts this file's folder first; the app's packages live at the root
    sys.path.insert(0, str(ROOT))
EXTRA = {"disputes": "gavel", "close": "event_available"}

_page, _navigation, _page_link, _switch_page = st.Page, st.navigation, st.page_link, st.switch_page


def _rooted(page, *args, **kwargs):
    if isinstance(page, str):
        page = ROOT / page
    return _page(page, *args, **kwargs)


def _link(page, *args, **kwargs):
    return _page_link(ROOT / page if isinstance(page, str) else page, *args, **kwargs)


def _switch(page, *args, **kwargs):
    return _switch_page(ROOT / page if isinstance(page, str) else page, *args, **kwargs)


def _with_extra(pages, *args, **kwargs):
    from dashboard import state

    have = {p.url_path for p in pages}
    for name, icon in EXTRA.items():
        if name not in have and (ROOT / "app_pages" / f"{name}.py").exists():
            pages = [*pages, _page(ROOT / "app_pages" / f"{name}.py", title=state.tr(f"ui.page.{name}"),
                                   icon=f":material/{icon}:", url_path=name)]  # fmt: skip
    return _navigation(pages, *args, **kwargs)


st.Page, st.navigation, st.page_link, st.switch_page = _rooted, _with_extra, _link, _switch
try:
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
finally:
    st.Page, st.navigation, st.page_link, st.switch_page = _page, _navigation, _page_link, _switch_page
