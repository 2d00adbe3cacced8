"""数据上传 Upload: store weekly workbooks, see what each sheet gave (and refused), undo an upload, get the template."""

import streamlit as st

from dashboard import state
from kam_metrics.present import views

TYPES = ["xlsx", "xls", "xlsm", "csv", "ods"]

lang = state.lang()
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
                bar.progress(min((i + fraction) / len(new), 1.0), text=f"{name} · {sheet}")

            done[f.file_id] = views.try_ingest(store, f.name, f.getvalue(), progress)
        bar.progress(1.0, text=state.tr("ui.upload.done"))
        status.update(label=state.tr("ui.upload.finished", n=len(new)), state="complete", expanded=False)

for f in files or []:
    outcome = done.get(f.file_id)
    if outcome is None:
        continue
    if outcome.result is None:
        st.error(views.unreadable_text(outcome, lang), icon=":material/block:")
        continue
    result = outcome.result
    with st.container(border=True):
        st.markdown(f"**{views.upload_summary(result, lang)}**")
        if result.sheets:
            st.dataframe(views.sheet_counts(result, lang), hide_index=True, key=f"upload_counts_{f.file_id}")
        else:
            st.warning(state.tr("ui.upload.no_sheets"))
        for note in views.upload_notes(result, lang):
            st.caption(note)
        if result.rejected:
            st.markdown(f"**{state.tr('ui.upload.rejected', n=len(result.rejected))}**")
            st.dataframe(
                views.upload_rejected(result, lang), hide_index=True, key=f"upload_rejected_{f.file_id}"
            )
        if result.warnings:
            st.markdown(f"**{state.tr('ui.upload.warnings', n=len(result.warnings))}**")
            st.dataframe(
                views.upload_warnings(result, lang), hide_index=True, key=f"upload_warnings_{f.file_id}"
            )

if not state.has_data():
    st.info(state.tr("ui.upload.empty_hint"), icon=":material/folder_open:")
    state.load_sample_button(key="upload_load_sample")

st.download_button(
    state.tr("ui.upload.template"),
    data=state.template_bytes(lang),
    file_name=state.tr("ui.upload.template_file"),
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="download_template",
    on_click="ignore",
    icon=":material/description:",
)

st.subheader(state.tr("ui.upload.ledger"))
if flash := st.session_state.pop("upload_flash", None):
    st.success(flash)
if flash := st.session_state.pop("upload_flash_error", None):
    st.error(flash)
uploads = store.uploads()
if uploads.empty:
    st.caption(state.tr("ui.upload.ledger_empty"))
    st.stop()
st.dataframe(views.ledger(uploads, lang), hide_index=True, key="upload_ledger")

ids = [int(x) for x in uploads["upload_id"]]
pick_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
pick = pick_col.selectbox(
    state.tr("ui.upload.undo_pick"),
    ids,
    key="upload_undo_pick",
    format_func=lambda uid: views.upload_label(uploads, uid),
)
if button_col.button(state.tr("ui.upload.undo"), key="upload_undo"):
    st.session_state["upload_undo_confirm"] = pick

confirm = st.session_state.get("upload_undo_confirm")
if confirm is not None and confirm in ids:
    st.warning(state.tr("ui.upload.undo_confirm", upload=views.upload_label(uploads, confirm)))
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
    st.dataframe(
        views.all_rejected(state.results(team_filter=False), lang), hide_index=True, key="upload_all_rejected"
    )
