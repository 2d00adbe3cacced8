"""数据上传 Upload: store weekly workbooks, see what each changed, undo an upload, keep the sample apart, get the template."""

import streamlit as st

from dashboard import danger, nav, sidebar, state, upload_worker, widgets
from dashboard.text import md
from kam_metrics.present import sample, upload

# Streamlit's uploader draws its own English ("Upload", "200MB per file • CSV, XLSX"): its hint is hidden and
# its button shows our word; the accepted types are ours to check (every type is let through, see below).
STYLE = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] {display: none;}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] {display: none;}
</style>"""

nav.page("upload", needs_data=False)  # guard (refused to other roles), title, empty state
st.html(STYLE)
store = state.store()
files = st.file_uploader(
    state.tr("ux.upload.label"),
    type=None,  # a refused type would be told in Streamlit's English; upload.accepted() refuses in ours
    accept_multiple_files=True,
    key="upload_files",
    help=state.tr("ui.upload.help"),
)
st.caption(state.tr("ux.upload.caption", types=" ".join(upload.ACCEPTED)))

# Each uploaded file is stored once per session; reruns show the remembered outcome.
done: dict = st.session_state.setdefault("upload_done", {})
seen: set = st.session_state.get("upload_seen", set())  # handled before the store was cleared
new = [f for f in files or [] if f.file_id not in done and f.file_id not in seen]

# Real files onto the sample: ask first (clear the sample, or keep both on an explicit choice).
if new and state.sample_shown() and not st.session_state.get("_upload_keep_sample"):
    real = [f for f in new if not sample.is_sample_digest(upload.sha256(f.getvalue()))]
    if real:
        st.warning(state.tr("ux.sample.mix", n=len(real)), icon=":material/warning:")
        clear_col, keep_col = st.columns(2)
        if clear_col.button(
            state.tr("ux.sample.clear_then_upload"), key="upload_clear_sample", type="primary"
        ):
            store.clear(viewer=state.viewer())
            state.forget_uploads()  # the session's earlier (sample) files are not stored again
            st.rerun()
        if keep_col.button(state.tr("ux.sample.keep_both"), key="upload_keep_sample"):
            st.session_state["_upload_keep_sample"] = True
            st.rerun()
        new = []  # nothing is stored until the director chose

if new:
    batch = st.session_state.get("_upload_batch", 0) + 1
    st.session_state["_upload_batch"] = batch
    rules = state.current_rules()[0]
    before = upload.totals(state.results_for(rules) if state.has_data() else None)
    with st.status(state.tr("ui.upload.working", n=len(new)), expanded=True) as status:
        bar = st.progress(0.0)
        for i, f in enumerate(new):

            def progress(fraction: float, sheet: str, i: int = i, name: str = f.name) -> None:
                bar.progress(min((i + fraction) / len(new), 1.0), text=md(f"{name} · {sheet}"))

            outcome = upload_worker.try_ingest(store, f.name, f.getvalue(), progress, viewer=state.viewer())
            outcome.batch = batch
            if outcome.result is not None:
                after = upload.totals(state.results_for(rules))
                outcome.change, before = upload.money_change(before, after), after
            done[f.file_id] = outcome
        bar.progress(1.0, text=state.tr("ui.upload.done"))
        status.update(label=state.tr("ui.upload.finished", n=len(done)), state="complete", expanded=False)

has_data = state.has_data()
uploads = store.uploads()
view = upload.view(
    state.results(team_filter=False) if has_data else None,
    state.viewer(),
    state.lang(),
    uploads=uploads,
    outcomes=[(f.file_id, done[f.file_id]) for f in files or [] if f.file_id in done],
)

if flash := st.session_state.pop("upload_flash", None):
    st.success(md(flash))
if flash := st.session_state.pop("upload_flash_error", None):
    st.error(md(flash))


def ask_undo(upload_id: int, origin: str) -> None:
    st.session_state["upload_undo_confirm"] = (upload_id, origin)


def confirm_panel(origin: str) -> None:
    """The pending undo's confirmation, drawn where it was asked for: the file, its time, the rows it removes."""
    pending = st.session_state.get("upload_undo_confirm")
    if not pending or pending[1] != origin or pending[0] not in view.upload_ids:
        return
    upload_id = pending[0]
    suffix = "" if origin == "ledger" else f"_{origin}"
    removes = upload.removal_text(upload.stored_rows(store, upload_id), state.lang())
    st.warning(state.tr("ux.undo.confirm", upload=md(view.upload_labels[upload_id]), removes=md(removes)))
    yes, no = st.columns(2)
    if yes.button(state.tr("ui.upload.undo_yes"), key=f"upload_undo_yes{suffix}", type="primary"):
        st.session_state.pop("upload_undo_confirm", None)
        try:
            with st.spinner(state.tr("ui.upload.undoing")):
                store.undo(upload_id, viewer=state.viewer())
            st.session_state["upload_flash"] = state.tr("ui.upload.undone", upload=f"#{upload_id}")
        except FileNotFoundError as e:
            st.session_state["upload_flash_error"] = str(e)
        st.rerun()
    if no.button(state.tr("ui.upload.undo_no"), key=f"upload_undo_no{suffix}"):
        st.session_state.pop("upload_undo_confirm", None)
        st.rerun()


# -- the ledger and undo, near the top -----------------------------------------------------------
st.subheader(state.tr("ui.upload.ledger"))
if not view.upload_ids:
    st.caption(state.tr("ui.upload.ledger_empty"))
else:
    st.dataframe(
        view.ledger, hide_index=True, key="upload_ledger", height=min(36 * (len(view.ledger) + 1) + 2, 250)
    )
    # The pick starts at the newest upload, and moves to it whenever a newer one arrives.
    newest = view.upload_ids[0]
    if (
        st.session_state.get("_upload_newest") != newest
        or st.session_state.get("upload_undo_pick") not in view.upload_ids
    ):
        st.session_state["_upload_newest"] = newest
        st.session_state["upload_undo_pick"] = newest
    pick_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
    pick = widgets.pick(
        state.tr("ui.upload.undo_pick"),
        view.upload_ids,
        key="upload_undo_pick",
        labels=view.upload_labels,
        container=pick_col,
    )
    if button_col.button(state.tr("ui.upload.undo"), key="upload_undo"):
        ask_undo(pick, "ledger")
    confirm_panel("ledger")

# -- this session's files: newest first, only the latest round open ------------------------------
if view.files:
    st.subheader(state.tr("ux.upload.session"))
for shown in view.files:
    if shown.error is not None:
        st.error(md(shown.error), icon=":material/block:")
        continue
    with st.expander(md(shown.title), expanded=shown.expanded):
        st.markdown(f"**{md(shown.summary)}**")
        if shown.repeat:
            st.info(md(shown.repeat), icon=":material/content_copy:")
        if shown.change:
            st.markdown(md(shown.change))
        if shown.counts is not None:
            st.dataframe(shown.counts, hide_index=True, key=f"upload_counts_{shown.key}")
        else:
            st.warning(state.tr("ui.upload.no_sheets"))
        for note in shown.notes:
            st.caption(md(note))
        if shown.rejected is not None:
            st.markdown(f"**{state.tr('ui.upload.rejected', n=len(shown.rejected))}**")
            st.dataframe(shown.rejected, hide_index=True, key=f"upload_rejected_{shown.key}")
        if shown.warnings is not None:
            st.markdown(f"**{state.tr('ui.upload.warnings', n=len(shown.warnings))}**")
            st.dataframe(shown.warnings, hide_index=True, key=f"upload_warnings_{shown.key}")
        if shown.upload_id is not None and shown.upload_id in view.upload_ids:
            origin = f"file_{shown.key}"
            if st.button(
                state.tr("ux.upload.undo_this"), key=f"upload_undo_{shown.key}", icon=":material/undo:"
            ):
                ask_undo(shown.upload_id, origin)
            confirm_panel(origin)

if not has_data:
    st.info(state.tr("ui.upload.empty_hint"), icon=":material/folder_open:")
    sidebar.load_sample_button(key="upload_load_sample")

st.download_button(
    state.tr("ui.upload.template"),
    data=state.template_bytes(state.lang()),
    file_name=state.tr("ui.upload.template_file"),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_template",
    on_click="ignore",
    icon=":material/description:",
)

if view.upload_ids:
    with st.expander(state.tr("ui.upload.all_rejected")):
        st.dataframe(view.rejected, hide_index=True, key="upload_all_rejected")
    danger.clear_all_section(len(view.upload_ids))

# Last, so nothing above waits for it: the overview, where a director goes after an upload, draws its charts
# without first loading the chart library (this page is often opened on its own address, a fresh page load).
widgets.preload_charts()
