"""The rules form: one widget per rule key (``rules_<key>``), loaded from the rules in force and read back flat."""

from __future__ import annotations

import streamlit as st

from dashboard import state, widgets
from kam_metrics.contract.rules import WEEKDAYS, Rules

PREFIX = "rules_"


def _key(rule: str) -> str:
    return PREFIX + rule.replace(".", "_")


def _load(current: Rules) -> None:
    """Form widgets start from the stored rules; changed rules (saved here or elsewhere) reload them.

    Streamlit drops a widget's value once a run does not draw it (the user went to another page), while a
    plain key like the marker survives: so a missing widget value reloads too, or the form would come back
    with every number at 0 (and saving would store zeros)."""
    loaded = current.to_toml()
    keys = [_key(rule) for rule, _ in current.flat()]
    if st.session_state.get("_rules_loaded") == loaded and all(k in st.session_state for k in keys):
        return
    st.session_state["_rules_loaded"] = loaded
    for key, value in current.model_dump().items():
        if isinstance(value, dict):
            for leaf, v in value.items():
                st.session_state[_key(f"{key}.{leaf}")] = float(v) if not isinstance(v, (int, str)) else v
        elif key == "excused_weeks":
            st.session_state[_key(key)] = ", ".join(value)
        else:
            st.session_state[_key(key)] = value


def reload() -> None:
    """Forget the edits: the next run loads the stored rules again."""
    st.session_state.pop("_rules_loaded", None)


def _number(rule: str, money: bool = False, share: bool = False) -> None:
    kwargs = (
        {"step": 0.05, "format": "%.4f"}
        if share
        else {"step": 1.0, "format": "%.2f"}
        if money
        else {"step": 1}
    )
    st.number_input(state.tr(f"ui.rule.{rule}"), key=_key(rule), help=rule, **kwargs)


def show(current: Rules) -> dict[str, object]:
    """Draw the form (four columns) and return its values by rule key (``targets.units`` → 3 …)."""
    _load(current)
    general, targets, fines, commission = st.columns(4)
    with general:
        st.markdown(f"**{state.tr('ui.rules.general')}**")
        widgets.pick(
            state.tr("ui.rule.week_start"),
            list(WEEKDAYS),
            key=_key("week_start"),
            labels=lambda d: state.tr(f"ui.weekday.{d}"),
            worded=True,
            help="week_start",
        )
        for rule in ("warn_after_weeks", "review_after_weeks", "protection_days", "min_lead_minutes"):
            _number(rule)
        st.text_input(
            state.tr("ui.rule.excused_weeks"),
            key=_key("excused_weeks"),
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
        widgets.pick(
            state.tr("ui.rule.commission.visit_share_source"),
            ["salesperson", "company"],
            key=_key("commission.visit_share_source"),
            labels=lambda s: state.tr(f"ui.share_source.{s}"),
            worded=True,
            help="commission.visit_share_source",
        )
        _number("commission.lead_deal_fixed", money=True)
    return {rule: st.session_state.get(_key(rule)) for rule, _ in current.flat()}
