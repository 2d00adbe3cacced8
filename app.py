"""KAM Metrics dashboard: page config, sidebar filters and the list of pages (every page is in app_pages/)."""

import streamlit as st

from dashboard import state

st.set_page_config(layout="wide", page_title=state.tr("ui.app.title"), page_icon=":material/monitoring:")

PAGES = [
    st.Page(
        "app_pages/overview.py",
        title=state.tr("ui.page.overview"),
        icon=":material/dashboard:",
        default=True,  # the default page lives at "/" (Streamlit ignores its url_path)
    ),
    st.Page(
        "app_pages/weekly.py",
        title=state.tr("ui.page.weekly"),
        icon=":material/calendar_month:",
        url_path="weekly",
    ),
    st.Page(
        "app_pages/attribution.py",
        title=state.tr("ui.page.attribution"),
        icon=":material/person_search:",
        url_path="attribution",
    ),
    st.Page(
        "app_pages/commissions.py",
        title=state.tr("ui.page.commissions"),
        icon=":material/payments:",
        url_path="commissions",
    ),
    st.Page(
        "app_pages/upload.py",
        title=state.tr("ui.page.upload"),
        icon=":material/upload_file:",
        url_path="upload",
    ),
    st.Page("app_pages/rules.py", title=state.tr("ui.page.rules"), icon=":material/tune:", url_path="rules"),
]

page = st.navigation(PAGES)
state.sidebar()
state.sample_banner()
page.run()
