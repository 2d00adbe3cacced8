"""KAM Metrics dashboard: page config, who is signed in (SPEC §10), that viewer's pages, the sidebar, run.

With accounts in the store nothing but the sign-in form is served before sign-in; without any (local mode) the
app serves this computer only, with a notice and the button that creates the first director account.
"""

from pathlib import Path

import streamlit as st

from dashboard import auth, errors, nav, sidebar, signin, state, store_status, widgets

# A local image: a ":material/…:" page icon makes the browser fetch the favicon from fonts.gstatic.com
# (blocked in mainland China, absent offline); Streamlit serves this file itself.
FAVICON = Path(__file__).parent / "dashboard" / "favicon.png"

widgets.restore_language()  # ?lang=en survives a reload, also for the title and the navigation below
st.set_page_config(layout="wide", page_title=state.tr("ui.app.title"), page_icon=str(FAVICON))


def _run() -> None:
    store = state.store()
    if not auth.signin_on() and not auth.is_loopback(auth.client_ip()):
        # Local mode shows everything to whoever connects: only to this computer (SPEC §10, issue 12 item 7).
        st.navigation(nav.gate(signin.remote_refused, state.tr("ui.app.title")), position="hidden").run()
        return
    viewer = auth.resolve()
    if viewer is None:
        page = st.navigation(nav.gate(signin.page, state.tr("auth.signin.title")), position="hidden")
        auth.cookie_script()  # a sign-out removes the cookie here
        page.run()
        return
    page = st.navigation(nav.pages_for(viewer))
    sidebar.show()
    store_status.banner(store, state.lang())
    if viewer.local:
        signin.local_notice()
    sidebar.sample_banner()
    page.run()


errors.guard(_run)
