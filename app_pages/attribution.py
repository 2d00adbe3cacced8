"""客户归属 Attribution: one customer's story in time order, and why each KAM's leads and visits were refused."""

import streamlit as st

from dashboard import charts, nav, state, widgets
from dashboard.text import md
from kam_metrics.present import customer

nav.page("attribution")  # guard (refused to other roles), title, empty state


# The chosen customer lives in the URL as an opaque reference (?c=…, customer.customer_ref under the
# installation's key), never as the number; the search box holds only what the user typed, so a full number
# reaches the screen only when the user typed it.
key = widgets.link_key()


def _new_search() -> None:
    st.query_params.pop("c", None)


def _pick_match() -> None:
    if st.session_state.get("attr_match"):
        st.query_params["c"] = customer.customer_ref(st.session_state["attr_match"], key)


# An old link with the number in it (?phone=…) is rewritten to its reference at once.
old = st.query_params.pop("phone", None)
if old:
    st.query_params["c"] = customer.customer_ref(old, key)


# Opened from a KAM-week's lead or visit (?from_kam=…&from_week=…): a link back to it.
back_kam, back_week = st.query_params.get("from_kam"), st.query_params.get("from_week")
if back_kam and back_week:
    st.page_link(
        "app_pages/weekly.py",
        label=state.tr("ui.attr.back", kam=md(back_kam), week=md(back_week)),
        icon=":material/arrow_back:",
        query_params={"kam": back_kam, "week": back_week},
    )

query = st.text_input(
    state.tr("ui.attr.search"),
    key="attr_query",
    placeholder=state.tr("ui.attr.placeholder"),
    on_change=_new_search,
)
view = customer.view(
    state.results(team_filter=False),  # a customer's story crosses teams (as far as the viewer may see)
    state.viewer(),
    state.lang(),
    query=query,
    team_results=state.results(),
    ref=st.query_params.get("c"),
    key=key,
)
if view.ref and view.ref != st.query_params.get("c"):
    st.query_params["c"] = view.ref

if query and not view.matches:
    st.warning(state.tr("ui.attr.no_match", query=md(view.query_masked)))
elif len(view.matches) > 1:
    st.caption(state.tr("ui.attr.matches", n=len(view.matches)))
    widgets.pick(
        state.tr("ui.attr.choose"),
        view.matches,
        key="attr_match",
        labels=view.match_labels,
        index=None,
        placeholder=state.tr("ui.attr.choose_placeholder"),
        worded=True,
        on_change=_pick_match,
    )

shown = view.customer
if shown is not None:
    if shown.story.empty:
        st.warning(state.tr("ui.attr.unknown", phone=md(shown.phone_masked)))
    else:
        st.subheader(md(shown.label))
        st.info(md(shown.claim), icon=":material/sell:")
        st.dataframe(shown.story, hide_index=True, key="attr_story")

st.divider()
st.subheader(state.tr("ui.attr.refusals"))
if view.refusals.empty:
    st.success(state.tr("ui.attr.no_refusals"))
else:
    figures = charts.refusals(view.refusals, view.kams)
    for i, (col, (what, fig)) in enumerate(zip(st.columns(len(figures)), figures.items(), strict=True)):
        col.markdown(f"**{md(what)}**")
        col.plotly_chart(fig, key=f"attr_refusals_{i}")
