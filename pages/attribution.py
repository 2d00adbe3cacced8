"""客户归属 Attribution: one customer's story in time order, and why each KAM's leads and visits were refused."""

import streamlit as st

from kam_metrics import views
from ui import charts, state

lang = state.start_page()
st.title(state.tr("ui.page.attribution"))
state.require_data()
everyone = state.results(team_filter=False)  # a customer's story crosses teams
res = state.results()


def _pick_match() -> None:
    st.session_state["phone"] = st.session_state["attr_match"]


query = st.text_input(
    state.tr("ui.attr.search"),
    key="phone",
    placeholder=state.tr("ui.attr.placeholder"),
    bind="query-params",
)
matches = views.find_customers(everyone, query)
phone = None
if query and not matches:
    st.warning(state.tr("ui.attr.no_match", query=views.mask_text(query)))
elif len(matches) == 1:
    phone = matches[0]
elif matches:
    st.caption(state.tr("ui.attr.matches", n=len(matches)))
    st.selectbox(
        state.tr("ui.attr.choose"),
        matches,
        index=None,
        key="attr_match",
        format_func=lambda p: views.customer_label(everyone, p),
        placeholder=state.tr("ui.attr.choose_placeholder"),
        on_change=_pick_match,
    )

if phone is not None:
    st.subheader(views.customer_label(everyone, phone))
    st.info(views.claim_text(everyone, phone, lang), icon=":material/sell:")
    st.dataframe(views.customer_story(everyone, phone, lang), hide_index=True, key="attr_story")

st.divider()
st.subheader(state.tr("ui.attr.refusals"))
refused = views.refusals(res, lang)
if refused.empty:
    st.success(state.tr("ui.attr.no_refusals"))
else:
    st.plotly_chart(charts.refusals(refused), key="attr_refusals")
