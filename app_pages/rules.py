"""规则设置 Rules: the rules file as a validated form, with a what-if of fines, commissions and flags before saving."""

import streamlit as st

from dashboard import rules_form, state
from dashboard.text import md
from kam_metrics.present import rules

st.title(state.tr("ui.page.rules"))
current, file_error = state.current_rules()
if file_error:
    st.error(md(state.tr("ui.rules.file_error", path=str(state.rules_path()), reason=file_error)))
st.caption(md(state.tr("ui.rules.path", path=str(state.rules_path()))))

form = rules_form.show(current)
view = rules.view(
    state.results() if state.has_data() else None,
    state.lang(),
    form=form,
    results_for=lambda edited: state.results(rules=edited),
    current=current,
)
for line in view.errors:
    st.error(md(line), icon=":material/error:")

if flash := st.session_state.pop("rules_flash", None):
    st.success(md(flash))

if view.changes is not None:
    if view.changes.empty:
        st.info(state.tr("ui.rules.no_changes"))
    else:
        st.subheader(state.tr("ui.rules.changes"))
        st.dataframe(view.changes, hide_index=True, key="rules_changes")
        if view.totals is not None:
            st.subheader(state.tr("ui.rules.whatif"))
            colours = {"fines": "inverse", "commission": "normal", "flagged": "inverse"}
            for col, (name, total) in zip(st.columns(3), view.totals.items(), strict=True):
                col.metric(
                    state.tr(f"ui.rules.total_{name}"),
                    total.value,
                    delta=total.delta,
                    border=True,
                    # Unchanged totals are grey and without an arrow.
                    delta_color=colours[name] if total.changed else "off",
                    delta_arrow="auto" if total.changed else "off",
                )
            st.dataframe(view.whatif, hide_index=True, key="rules_whatif")

left, right = st.columns([1, 5])
unsaved = view.changes is None or view.changes.empty
if left.button(state.tr("ui.rules.save"), key="rules_save", type="primary", disabled=unsaved):
    path = state.rules_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(view.edited.to_toml(), encoding="utf-8")
    st.session_state["rules_flash"] = state.tr("ui.rules.saved", path=str(path))
    st.rerun()
if right.button(state.tr("ui.rules.reset"), key="rules_reset"):
    rules_form.reload()
    st.rerun()
