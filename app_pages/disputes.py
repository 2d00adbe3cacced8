"""申诉与裁定 Disputes: a KAM or team lead files and follows their disputes; the director works the queue with the
customer's story and the what-if, adjudicates any row directly and keeps the adjudications (SPEC §8)."""

import streamlit as st

from dashboard import actions, nav, state
from dashboard.text import md
from kam_metrics.ingest.decisions import ORPHANED, DecisionError
from kam_metrics.present import disputes

FLASH = "_disputes_flash"

viewer = nav.page("disputes")  # guard (refused to other roles), title, empty state

store = state.store()
lang = state.lang()
res = state.results(team_filter=False)  # scoped by the viewer inside the view: never more than they may see


def done(message: str, warning: str | None = None) -> None:
    actions.done(FLASH, message, state.tr("ui.disputes.orphaned_warning") if warning == ORPHANED else None)


def act(action, *args, **kwargs) -> tuple[bool, object]:
    return actions.attempt(DecisionError, action, *args, **kwargs)


def act_and_flash(word: str, action, *args) -> None:
    """Run an action that makes one record and returns (its id, a warning or None); when made, flash ``word``
    filled with the id, and the warning."""
    ok, made = act(action, *args)
    if ok:
        done(state.tr(word, id=made[0]), made[1])


def pick_row(prefix: str, refused_default: bool) -> disputes.Row | None:
    """The row picker: kind, KAM (when the viewer sees more than one), only-refused, then the row."""
    kinds = {k: state.tr(f"disputes.kind.{k}") for k in disputes.KINDS}
    cols = st.columns([1, 1, 1])
    kind = cols[0].selectbox(
        state.tr("ui.disputes.kind"), list(kinds), index=1, format_func=kinds.get, key=f"{prefix}_kind"
    )
    names = disputes.kams(res, viewer)
    kam = None
    if len(names) > 1:
        choice = cols[1].selectbox(
            state.tr("ui.disputes.kam"), ["", *names], key=f"{prefix}_kam",
            format_func=lambda k: k or state.tr("ui.disputes.all_kams"),
        )  # fmt: skip
        kam = choice or None
    refused = cols[2].checkbox(
        state.tr("ui.disputes.refused_only"), value=refused_default, key=f"{prefix}_refused"
    )
    found = disputes.rows(res, viewer, kind, lang, kam, refused)
    if not found:
        st.info(state.tr("ui.disputes.no_rows"))
        return None
    at = st.selectbox(
        state.tr("ui.disputes.row"),
        range(len(found)),
        format_func=lambda i: found[i].label,
        key=f"{prefix}_row",
    )
    row = found[at if at is not None and at < len(found) else 0]
    st.caption(md(state.tr("ui.disputes.current", status=row.status_shown)))
    return row


def outcome(kind: str, prefix: str, default: str | None = None, default_kam=None) -> tuple[str, str | None]:
    """The outcome SPEC §8 allows for ``kind`` (and a KAM for an attributed deal), preset to ``default``."""
    allowed = disputes.verdicts(kind, lang)
    options = list(allowed)
    verdict = st.selectbox(
        state.tr("ui.disputes.verdict"), options, format_func=allowed.get, key=f"{prefix}_verdict",
        index=options.index(default) if default in options else 0,
    )  # fmt: skip
    kam = None
    if disputes.needs_kam(kind, verdict):
        names = disputes.kams(res, viewer)
        kam = st.selectbox(
            state.tr("ui.disputes.verdict_kam"), names, key=f"{prefix}_vkam",
            index=names.index(default_kam) if default_kam in names else 0,
        )  # fmt: skip
    return verdict, kam


@st.cache_data(show_spinner=False, max_entries=32)
def _whatif(db: str, version: int, kind: str, row: tuple, verdict: str, kam, language: str, as_of):
    # db, version and as_of are the cache key: another upload or decision recomputes
    return disputes.whatif(res, store, kind, dict(row), verdict, kam, language)


actions.show(FLASH)

chosen_id = st.session_state.get("dsp_pick")
view = disputes.view(res, viewer, lang, store=store, dispute=chosen_id)

# -- a KAM or team lead: file, follow, withdraw ---------------------------------------------------------------------
if view.may_file and not view.may_decide:
    st.subheader(state.tr("ui.disputes.file"))
    st.caption(state.tr("ui.disputes.file_hint"))
    row = pick_row("file", refused_default=True)
    if row is not None:
        with st.form("file_form", clear_on_submit=True):
            asked, asked_kam = outcome(row.kind, "file")
            note = st.text_area(state.tr("ui.disputes.note"), key="file_note")
            if st.form_submit_button(state.tr("ui.disputes.submit"), type="primary"):
                act_and_flash("ui.disputes.filed", disputes.file_dispute,
                              store, res, viewer, row, asked, note, asked_kam)  # fmt: skip
    st.subheader(state.tr("ui.disputes.mine"))
    if view.table.empty:
        st.caption(state.tr("ui.disputes.none"))
    else:
        st.dataframe(view.table, hide_index=True, key="dsp_mine")
    mine = [d for d in view.disputes if d.may_withdraw]
    if mine:
        with st.form("withdraw_form"):
            pick = st.selectbox(state.tr("ui.disputes.withdraw_pick"), [d.id for d in mine],
                                format_func=lambda i: next(d.label for d in mine if d.id == i))  # fmt: skip
            if (
                st.form_submit_button(state.tr("ui.disputes.withdraw"))
                and act(disputes.withdraw, store, viewer, pick)[0]
            ):
                done(state.tr("ui.disputes.withdrawn", id=pick))

# -- the director: the queue, evidence, what-if, decision ---------------------------------------------------------
if view.may_decide:
    st.subheader(state.tr("ui.disputes.queue", n=view.open_count))
    if view.table.empty:
        st.caption(state.tr("ui.disputes.none"))
    else:
        st.dataframe(view.table, hide_index=True, key="dsp_queue")
        ids = [d.id for d in view.disputes]
        current = view.chosen.id if view.chosen else ids[0]
        st.selectbox(state.tr("ui.disputes.pick"), ids, index=ids.index(current), key="dsp_pick",
                     format_func=lambda i: next(d.label for d in view.disputes if d.id == i))  # fmt: skip
        d = view.chosen or next(x for x in view.disputes if x.id == current)
        st.markdown(md(state.tr("ui.disputes.chosen", id=d.id, kind=state.tr(f"disputes.kind.{d.kind}"),
                                row=d.row_text, asked=d.asked, by=d.filed_by)))  # fmt: skip
        if d.note:
            st.caption(md(state.tr("ui.disputes.chosen_note", note=d.note)))
        st.markdown("**" + state.tr("ui.disputes.evidence") + "**")
        if view.claim:
            st.caption(md(view.claim))
        if view.evidence is not None:
            st.dataframe(view.evidence, hide_index=True, key="dsp_evidence")
        if d.may_decide:
            st.markdown("**" + state.tr("ui.disputes.decide") + "**")
            verdict, vkam = outcome(d.kind, "decide", default=d.asked_verdict, default_kam=d.asked_kam)
            st.markdown("**" + state.tr("ui.disputes.whatif") + "**")
            change = _whatif(str(store.path), store.version(), d.kind, tuple(d.row.items()), verdict, vkam, lang,
                             res.as_of)  # fmt: skip
            if change.week:
                st.markdown(md(change.week))
            if change.table.empty:
                st.caption(state.tr("ui.disputes.whatif_none"))
            else:
                st.dataframe(change.table, hide_index=True, key="dsp_whatif")
            with st.form("decide_form", clear_on_submit=True):
                reason = st.text_input(state.tr("ui.disputes.reason"), key="decide_reason")
                left, right = st.columns(2)
                accepted = left.form_submit_button(state.tr("ui.disputes.accept"), type="primary")
                rejected = right.form_submit_button(state.tr("ui.disputes.reject"))
            if accepted or rejected:
                if not reason.strip():
                    st.error(state.tr("ui.disputes.reason_required"))
                elif accepted:
                    ok, made = act(
                        disputes.accept, store, viewer, d.id, reason, verdict, vkam, res.rule_versions
                    )
                    if ok:
                        st.session_state.pop("dsp_pick", None)
                        done(state.tr("ui.disputes.accepted", id=d.id, adjudication=made[0]), made[1])
                elif act(disputes.reject, store, viewer, d.id, reason)[0]:
                    st.session_state.pop("dsp_pick", None)
                    done(state.tr("ui.disputes.rejected", id=d.id))

# -- the director: direct adjudication ----------------------------------------------------------------------------
if view.may_adjudicate:
    st.subheader(state.tr("ui.disputes.direct"))
    st.caption(state.tr("ui.disputes.direct_hint"))
    row = pick_row("adj", refused_default=True)
    if row is not None:
        verdict, vkam = outcome(row.kind, "adj")
        with st.form("adjudicate_form", clear_on_submit=True):
            reason = st.text_input(state.tr("ui.disputes.reason"), key="adj_reason")
            if st.form_submit_button(state.tr("ui.disputes.adjudicate"), type="primary"):
                if not reason.strip():
                    st.error(state.tr("ui.disputes.reason_required"))
                else:
                    act_and_flash("ui.disputes.adjudicated", disputes.adjudicate,
                                  store, viewer, row, verdict, reason, vkam)  # fmt: skip

# -- the adjudications in force ------------------------------------------------------------------------------------
st.subheader(state.tr("ui.disputes.adjudications"))
if view.adjudications.empty:
    st.caption(state.tr("ui.disputes.no_adjudications"))
else:
    st.dataframe(view.adjudications, hide_index=True, key="dsp_adjudications")
if view.adjudication_ids:
    with st.form("remove_form", clear_on_submit=True):
        pick = st.selectbox(
            state.tr("ui.disputes.remove_pick"), view.adjudication_ids, format_func=lambda i: f"#{i}"
        )
        reason = st.text_input(state.tr("ui.disputes.reason"), key="remove_reason")
        if st.form_submit_button(state.tr("ui.disputes.remove")):
            if not reason.strip():
                st.error(state.tr("ui.disputes.reason_required"))
            elif act(disputes.remove, store, viewer, pick, reason)[0]:
                done(state.tr("ui.disputes.removed", id=pick))
