"""客户归属 Attribution: one customer's story in time order, and why each KAM's leads and visits were refused."""

import streamlit as st

from dashboard import charts, state
from kam_metrics.present import views

lang = state.lang()
st.title(state.tr("ui.page.attribution"))
state.require_data()
everyone = state.results(team_filter=False)  # a customer's story crosses teams
res = state.results()


# The chosen customer lives in the URL (?phone=…); the search box holds only what the user typed, so a
# full number reaches the screen only when the user typed it.
def _new_search() -> None:
    st.query_params.pop("phone", None)


def _pick_match() -> None:
    if st.session_state.get("attr_match"):
        st.query_params["phone"] = st.session_state["attr_match"]


query = st.text_input(
    state.tr("ui.attr.search"),
    key="attr_query",
    placeholder=state.tr("ui.attr.placeholder"),
    on_change=_new_search,
)
if query:
    matches = views.find_customers(everyone, query)
    if not matches:
        st.warning(state.tr("ui.attr.no_match", query=views.mask_text(query)))
    elif len(matches) == 1:
        st.query_params["phone"] = matches[0]
    else:
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
phone = st.query_params.get("phone")

if phone:
    story = views.customer_story(everyone, phone, lang)
    if story.empty:
        st.warning(state.tr("ui.attr.unknown", phone=views.mask_phone(phone)))
    else:
        st.subheader(views.customer_label(everyone, phone))
        st.info(views.claim_text(everyone, phone, lang), icon=":material/sell:")
        st.dataframe(story, hide_index=True, key="attr_story")

st.divider()
st.subheader(state.tr("ui.attr.refusals"))
refused = views.refusals(res, lang)
if refused.empty:
    st.success(state.tr("ui.attr.no_refusals"))
else:
    st.plotly_chart(charts.refusals(refused, views.kam_names(res)), key="attr_refusals")
