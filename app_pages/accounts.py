"""账号管理 Accounts (director): every account, create one, reset a password, disable or enable an account.

Every change goes through kam_metrics.access.accounts with the signed-in viewer, which checks the director's
right and writes the audit entry; this page only lays the forms out."""

import pandas as pd
import streamlit as st

from dashboard import nav, signin, state
from dashboard.text import md
from kam_metrics.access import accounts
from kam_metrics.access.roles import KAM, ROLES, TEAM_LEAD
from kam_metrics.present import common, format

nav.page("accounts", needs_data=False)  # guard (refused to other roles), title, empty state
store, viewer, lang = state.store(), state.viewer(), state.lang()

if flash := st.session_state.pop("accounts_flash", None):
    st.success(md(flash))
for line in st.session_state.pop("accounts_warnings", []):
    st.warning(md(line))


def _role(role: str) -> str:
    return state.tr(f"auth.role.{role}")


listed = accounts.accounts(store)
if not listed:
    st.info(state.tr("auth.accounts.none"))
else:
    st.dataframe(
        pd.DataFrame(
            {
                state.tr("auth.field.login"): [a.login for a in listed],
                state.tr("auth.field.name"): [a.name for a in listed],
                state.tr("auth.field.role"): [_role(a.role) for a in listed],
                state.tr("ui.col.team"): [a.team or "" for a in listed],
                state.tr("ui.col.kam"): [a.kam or "" for a in listed],
                state.tr("auth.accounts.active"): [
                    state.tr("ui.yes") if a.active else state.tr("ui.no") for a in listed
                ],
                state.tr("auth.accounts.created"): [format.day(a.created_at.date()) for a in listed],
            }
        ),
        hide_index=True,
        key="accounts_table",
    )

# Teams and KAM names as in the data, to pick from; a name typed that is in no data is allowed (with a warning).
teams: list[str] = []
kams: list[str] = []
if state.has_data():
    base = state.results_for(state.current_rules()[0])
    teams, kams = [t for t in common.teams(base) if t], common.kam_names(base)


def _done(message: str, warnings: list | None = None) -> None:
    st.session_state["accounts_flash"] = message
    st.session_state["accounts_warnings"] = signin.warnings_text(warnings or [])
    st.rerun()


create, reset, switch = st.tabs(
    [state.tr("auth.accounts.create"), state.tr("auth.accounts.reset"), state.tr("auth.accounts.disable")]
)

with create:
    role = st.selectbox(
        state.tr("auth.field.role"), list(ROLES), format_func=_role, key="acct_role", index=len(ROLES) - 1
    )
    with st.form("acct_create", enter_to_submit=False):
        left, right = st.columns(2)
        login = left.text_input(state.tr("auth.field.login"), key="acct_login")
        name = right.text_input(state.tr("auth.field.name"), key="acct_name")
        team = kam = None
        # Text boxes (the names as in the data are listed below them): a name in no data is the core's warning.
        if role == TEAM_LEAD:
            team = st.text_input(state.tr("auth.field.team"), key="acct_team")
            st.caption(
                md(state.tr("auth.accounts.known", names=state.tr("auth.list_sep").join(teams) or "—"))
            )
        elif role == KAM:
            kam = st.text_input(state.tr("auth.field.kam"), key="acct_kam")
            st.caption(md(state.tr("auth.accounts.known", names=state.tr("auth.list_sep").join(kams) or "—")))
        password, again = signin.new_password(
            state.tr("auth.field.password"), "acct_password", "acct_again", side_by_side=True
        )
        submitted = st.form_submit_button(state.tr("auth.accounts.create_submit"), type="primary")
    if submitted and signin.same_password(password, again):
        try:
            warnings = accounts.add(
                store, login.strip(), password, role, name=name.strip(), team=team, kam=kam, viewer=viewer
            )
        except accounts.AccessError as error:
            st.error(md(error.message(lang)))
        else:
            _done(state.tr("auth.accounts.created_ok", login=login.strip()), warnings)

logins = [a.login for a in listed]
with reset:
    if not logins:
        st.caption(state.tr("ui.none"))
    else:
        with st.form("acct_reset", enter_to_submit=False):
            who = st.selectbox(state.tr("auth.field.login"), logins, key="acct_reset_login")
            password, again = signin.new_password(
                state.tr("auth.passwd.new"), "acct_reset_pw", "acct_reset_again", side_by_side=True
            )
            submitted = st.form_submit_button(state.tr("auth.accounts.reset_submit"), type="primary")
        if submitted and signin.same_password(password, again):
            try:
                accounts.reset_password(store, who, password, viewer=viewer)
            except accounts.AccessError as error:
                st.error(md(error.message(lang)))
            else:
                _done(state.tr("auth.accounts.reset_ok", login=who))

with switch:
    if not logins:
        st.caption(state.tr("ui.none"))
    else:
        by_login = {a.login: a for a in listed}
        who = st.selectbox(
            state.tr("auth.field.login"),
            logins,
            key="acct_switch_login",
            format_func=lambda x: (
                x if by_login[x].active else state.tr("auth.accounts.disabled_label", login=x)
            ),
        )
        active = by_login[who].active
        st.caption(state.tr("auth.accounts.disable_note" if active else "auth.accounts.enable_note"))
        label = "auth.accounts.disable_submit" if active else "auth.accounts.enable_submit"
        if st.button(
            state.tr(label, login=md(who)), key="acct_switch", type="primary" if active else "secondary"
        ):
            try:
                if active:
                    accounts.disable(store, who, viewer=viewer)
                else:
                    accounts.enable(store, who, viewer=viewer)
            except accounts.AccessError as error:
                st.error(md(error.message(lang)))
            else:
                key = "auth.accounts.disabled_ok" if active else "auth.accounts.enabled_ok"
                _done(state.tr(key, login=who))
