"""KAM Metrics dashboard: page config, the list of pages (every page is in app_pages/), the sidebar, run."""

from pathlib import Path

import streamlit as st

from dashboard import errors, sidebar, state, store_status, widgets

# A local image: a ":material/…:" page icon makes the browser fetch the favicon from fonts.gstatic.com
# (blocked in mainland China, absent offline); Streamlit serves this file itself.
FAVICON = Path(__file__).parent / "dashboard" / "favicon.png"

widgets.restore_language()  # ?lang=en survives a reload, also for the title and the navigation below
st.set_page_config(layout="wide", page_title=state.tr("ui.app.title"), page_icon=str(FAVICON))

PAGES = [
    # The default page lives at "/" (Streamlit ignores its url_path).
    ("overview", "dashboard", None),
    ("weekly", "calendar_month", "weekly"),
    ("attribution", "person_search", "attribution"),
    ("commissions", "payments", "commissions"),
    ("upload", "upload_file", "upload"),
    ("rules", "tune", "rules"),
]

page = st.navigation(
    [
        st.Page(
            f"app_pages/{name}.py",
            title=state.tr(f"ui.page.{name}"),
            icon=f":material/{icon}:",
            **({"url_path": url} if url else {"default": True}),
        )
        for name, icon, url in PAGES
    ]
)


def _run() -> None:
    sidebar.show()
    store_status.banner(state.store(), state.lang())
    sidebar.sample_banner()
    page.run()


errors.guard(_run)
