"""规则设置 Rules: the rules in force as a validated form, a what-if of fines, commissions and flags, and saving
the edit into the store as a new rule change (SPEC §6)."""

import datetime as dt

import streamlit as st

from dashboard import nav, rules_form, state
from dashboard.text import md
from kam_metrics.ingest.rules_table import next_week_start
from kam_metrics.present import format, rules

nav.page("rules", needs_data=False)  # guard (refused to other roles), title, empty state
ruleset, file_error = state.current_rules()
if file_error:
    st.error(md(state.tr("ui.rules.file_error", path=str(state.rules_path()), reason=file_error)))
has_data = state.has_data()
base = state.results() if has_data else None
as_of = base.as_of if base is not None else None
current = state.rules_in_force(ruleset, as_of)
st.caption(md(state.tr("ux.rules.in_force", date=format.day(as_of) if as_of else "—")))
for line in rules.scheduled(ruleset, as_of, state.lang()):
    st.caption(md(line))

form = rules_form.show(current)
view = rules.view(
    base,
    state.viewer(),
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

unsaved = view.changes is None or view.changes.empty
# A saved edit is a new change from the week after as-of by default (past weeks keep their verdicts).
default_from = next_week_start(as_of or dt.date.today(), current.week_start)
effective = st.date_input(
    state.tr("ux.rules.effective_from"),
    value=default_from,
    key="rules_effective_from",
    format="YYYY-MM-DD",
    help=state.tr("ux.rules.effective_help"),
    disabled=unsaved,
)
left, right = st.columns([1, 5])
if left.button(state.tr("ui.rules.save"), key="rules_save", type="primary", disabled=unsaved):
    state.save_rules(ruleset, view.edited, current, effective)
    st.session_state["rules_flash"] = state.tr("ux.rules.saved", date=format.day(effective))
    rules_form.reload()
    st.rerun()
if right.button(state.tr("ui.rules.reset"), key="rules_reset"):
    rules_form.reload()
    st.rerun()
