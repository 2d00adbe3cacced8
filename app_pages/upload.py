"""数据上传 Upload: store weekly workbooks, see what each sheet gave (and refused), undo an upload, get the template."""

import streamlit as st

from dashboard import sidebar, state, widgets
from dashboard.text import md
from kam_metrics.present import upload

TYPES = ["xlsx", "xls", "xlsm", "csv", "ods"]

st.title(state.tr("ui.page.upload"))
store = state.store()
files = st.file_uploader(
    state.tr("ui.upload.label"),
    type=TYPES,
    accept_multiple_files=True,
    key="upload_files",
    help=state.tr("ui.upload.help"),
)

# Each uploaded file is stored once per session; reruns show the remembered outcome.
done: dict = st.session_state.setdefault("upload_done", {})
new = [f for f in files or [] if f.file_id not in done]
if new:
    with st.status(state.tr("ui.upload.working", n=len(new)), expanded=True) as status:
        bar = st.progress(0.0)
        for i, f in enumerate(new):

            def progress(fraction: float, sheet: str, i: int = i, name: str = f.name) -> None:
                bar.progress(min((i + fraction) / len(new), 1.0), text=md(f"{name} · {sheet}"))

            done[f.file_id] = upload.try_ingest(store, f.name, f.getvalue(), progress)
        bar.progress(1.0, text=state.tr("ui.upload.done"))
        status.update(label=state.tr("ui.upload.finished", n=len(new)), state="complete", expanded=False)

has_data = state.has_data()
view = upload.view(
    state.results(team_filter=False) if has_data else None,
    state.lang(),
    uploads=store.uploads(),
    outcomes=[(f.file_id, done[f.file_id]) for f in files or [] if f.file_id in done],
)

for shown in view.files:
    if shown.error is not None:
        st.error(md(shown.error), icon=":material/block:")
        continue
    with st.container(border=True):
        st.markdown(f"**{md(shown.summary)}**")
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

st.subheader(state.tr("ui.upload.ledger"))
if flash := st.session_state.pop("upload_flash", None):
    st.success(md(flash))
if flash := st.session_state.pop("upload_flash_error", None):
    st.error(md(flash))
if not view.upload_ids:
    st.caption(state.tr("ui.upload.ledger_empty"))
    st.stop()
st.dataframe(view.ledger, hide_index=True, key="upload_ledger")

pick_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
pick = widgets.pick(
    state.tr("ui.upload.undo_pick"),
    view.upload_ids,
    key="upload_undo_pick",
    labels=view.upload_labels,
    container=pick_col,
)
if button_col.button(state.tr("ui.upload.undo"), key="upload_undo"):
    st.session_state["upload_undo_confirm"] = pick

confirm = st.session_state.get("upload_undo_confirm")
if confirm is not None and confirm in view.upload_ids:
    st.warning(state.tr("ui.upload.undo_confirm", upload=md(view.upload_labels[confirm])))
    yes, no = st.columns(2)
    if yes.button(state.tr("ui.upload.undo_yes"), key="upload_undo_yes", type="primary"):
        st.session_state.pop("upload_undo_confirm", None)
        try:
            with st.spinner(state.tr("ui.upload.undoing")):
                store.undo(confirm)
            st.session_state["upload_flash"] = state.tr("ui.upload.undone", upload=f"#{confirm}")
        except FileNotFoundError as e:
            st.session_state["upload_flash_error"] = str(e)
        st.rerun()
    if no.button(state.tr("ui.upload.undo_no"), key="upload_undo_no"):
        st.session_state.pop("upload_undo_confirm", None)
        st.rerun()


with st.expander(state.tr("ui.upload.all_rejected")):
    st.dataframe(view.rejected, hide_index=True, key="upload_all_rejected")
