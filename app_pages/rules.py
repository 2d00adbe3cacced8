"""规则设置 Rules: the rules file as a validated form, with a what-if of fines, commissions and flags before saving."""

import streamlit as st

from dashboard import state
from kam_metrics.contract.rules import WEEKDAYS, RulesError
from kam_metrics.present import views

lang = state.lang()
st.title(state.tr("ui.page.rules"))
current, file_error = state.current_rules()
if file_error:
    st.error(state.tr("ui.rules.file_error", path=str(state.rules_path()), reason=file_error))
st.caption(state.tr("ui.rules.path", path=str(state.rules_path())))

# Form widgets start from the rules file; a changed file (saved here or elsewhere) reloads them.
FIELDS = dict(current.flat())
loaded = current.to_toml()
if st.session_state.get("_rules_loaded") != loaded:
    st.session_state["_rules_loaded"] = loaded
    for key, value in current.model_dump().items():
        if isinstance(value, dict):
            for leaf, v in value.items():
                st.session_state[f"rules_{key}_{leaf}"] = float(v) if not isinstance(v, (int, str)) else v
        elif key == "excused_weeks":
            st.session_state["rules_excused_weeks"] = ", ".join(value)
        else:
            st.session_state[f"rules_{key}"] = value


def _unchanged(delta: object, colour: str = "normal") -> dict:
    """Delta styling of a what-if total: grey and without an arrow when the edited rules change nothing."""
    return (
        {"delta_color": colour, "delta_arrow": "auto"}
        if delta
        else {"delta_color": "off", "delta_arrow": "off"}
    )


def _number(key: str, money: bool = False, share: bool = False) -> None:
    widget = f"rules_{key.replace('.', '_')}"
    kwargs = (
        {"step": 0.05, "format": "%.4f"}
        if share
        else {"step": 1.0, "format": "%.2f"}
        if money
        else {"step": 1}
    )
    st.number_input(state.tr(f"ui.rule.{key}"), key=widget, help=key, **kwargs)


general, targets, fines, commission = st.columns(4)
with general:
    st.markdown(f"**{state.tr('ui.rules.general')}**")
    st.selectbox(
        state.tr("ui.rule.week_start"),
        list(WEEKDAYS),
        key="rules_week_start",
        format_func=lambda d: state.tr(f"ui.weekday.{d}"),
        help="week_start",
    )
    for key in ("warn_after_weeks", "review_after_weeks", "protection_days"):
        _number(key)
    st.text_input(
        state.tr("ui.rule.excused_weeks"),
        key="rules_excused_weeks",
        placeholder="2027-02-10, 2027-W08",
        help=state.tr("ui.rules.excused_help"),
    )
with targets:
    st.markdown(f"**{state.tr('ui.rules.targets')}**")
    for q in ("units", "batches", "numbers"):
        _number(f"targets.{q}")
with fines:
    st.markdown(f"**{state.tr('ui.rules.fines')}**")
    for q in ("units", "batches", "numbers"):
        _number(f"fines.{q}", money=True)
with commission:
    st.markdown(f"**{state.tr('ui.rules.commission')}**")
    _number("commission.visit_share", share=True)
    st.selectbox(
        state.tr("ui.rule.commission.visit_share_source"),
        ["salesperson", "company"],
        key="rules_commission_visit_share_source",
        format_func=lambda s: state.tr(f"ui.share_source.{s}"),
        help="commission.visit_share_source",
    )
    _number("commission.lead_deal_fixed", money=True)

values = {key: st.session_state.get(f"rules_{key.replace('.', '_')}") for key in FIELDS}
try:
    edited = views.rules_from_form(values)
except RulesError as error:
    edited = None
    for line in views.rules_error_lines(error, lang):
        st.error(line, icon=":material/error:")

if flash := st.session_state.pop("rules_flash", None):
    st.success(flash)

changes = None if edited is None else views.rules_changes(current, edited, lang)
if changes is not None:
    if changes.empty:
        st.info(state.tr("ui.rules.no_changes"))
    else:
        st.subheader(state.tr("ui.rules.changes"))
        st.dataframe(changes, hide_index=True, key="rules_changes")
        if state.has_data():
            st.subheader(state.tr("ui.rules.whatif"))
            now, then = state.results(), state.results(rules=edited)
            totals = views.whatif_totals(now, then)
            cols = st.columns(3)
            fines_delta = totals["fines_new"] - totals["fines_now"]
            commission_delta = totals["commission_new"] - totals["commission_now"]
            flagged_delta = totals["flagged_new"] - totals["flagged_now"]
            cols[0].metric(
                state.tr("ui.rules.total_fines"),
                views.money(totals["fines_new"]),
                delta=views.money(fines_delta),
                border=True,
                **_unchanged(fines_delta, "inverse"),
            )
            cols[1].metric(
                state.tr("ui.rules.total_commission"),
                views.money(totals["commission_new"]),
                delta=views.money(commission_delta),
                border=True,
                **_unchanged(commission_delta),
            )
            cols[2].metric(
                state.tr("ui.rules.total_flagged"),
                totals["flagged_new"],
                delta=flagged_delta,
                border=True,
                **_unchanged(flagged_delta, "inverse"),
            )
            st.dataframe(views.whatif(now, then, lang), hide_index=True, key="rules_whatif")

left, right = st.columns([1, 5])
if left.button(
    state.tr("ui.rules.save"), key="rules_save", type="primary", disabled=changes is None or changes.empty
):
    path = state.rules_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(edited.to_toml(), encoding="utf-8")
    st.session_state["rules_flash"] = state.tr("ui.rules.saved", path=str(path))
    st.rerun()
if right.button(state.tr("ui.rules.reset"), key="rules_reset"):
    st.session_state.pop("_rules_loaded", None)
    st.rerun()
