"""查重 Phone check: type a phone (or 138****5678 to search among one's own leads) and see whether the customer
is free, yours since …, held by another KAM (a KAM is never told who) or registered at the sales office on ….

The answer is kam_metrics.present.check's, built for the signed-in viewer."""

import streamlit as st

from dashboard import nav, state
from dashboard.text import md
from kam_metrics.present import check

nav.page("check")  # guard (refused to other roles), title, empty state
query = st.text_input(
    state.tr("auth.check.label"),
    key="check_query",
    placeholder=state.tr("auth.check.placeholder"),
    max_chars=40,
)
view = check.view(state.results(team_filter=False), state.viewer(), query, state.lang())
if view.message:
    st.info(md(view.message), icon=":material/info:")
ALERTS = {"free": st.success, "yours": st.info, "held": st.warning, "registered": st.warning}
ICONS = {"free": "check_circle", "yours": "person", "held": "block", "registered": "storefront"}
for answer in view.answers:
    alert = ALERTS.get(answer.status, st.info)
    alert(
        state.tr(
            "auth.check.answer",
            phone=md(answer.phone),
            status=state.tr(f"auth.check.{answer.status}"),
            text=md(answer.text),
        ),
        icon=f":material/{ICONS.get(answer.status, 'info')}:",
    )
