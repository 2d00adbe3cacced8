"""The workbooks a viewer may download (SPEC §10 "download"), each built only when asked for.

Director and finance: the full result workbook (SPEC §7, full phones) and any KAM's per-KAM workbook. A team
lead: their team's statements (statement, weekly fines, commission and clawback lines of their KAMs; phones
masked). A KAM: their own statement (full phones only on their own leads). A page offers only what this list
holds, so it never builds a download its viewer may not have.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable

from kam_metrics.access.roles import KAM, TEAM_LEAD, Viewer
from kam_metrics.access.scope import allowed_kams, own_phones, phone_shown, scope
from kam_metrics.contract.text import MOBILE_IN_TEXT
from kam_metrics.engine.report import Results
from kam_metrics.export import workbook as export
from kam_metrics.i18n import t
from kam_metrics.present.format import day

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
# The row sheets a statement workbook leaves empty: a statement is money, weeks and deal lines.
ROW_SHEETS = ("leads", "visits", "units", "rejected", "warnings")


@dataclasses.dataclass(frozen=True)
class Download:
    """One download: ``key`` (all, team, kam), its button label, file name, MIME type and the bytes' builder."""

    key: str
    label: str
    file_name: str
    mime: str
    build: Callable[[], bytes]


def _worded(
    key: str, label_word: str, file_word: str, lang: str, mime: str, build: Callable[[], bytes], **fields: str
) -> Download:
    """A Download labelled and named by the words ``label_word`` and ``file_word`` in ``lang``, each filled with
    ``fields``; a ``date`` field goes to the file name only."""
    label_fields = {k: v for k, v in fields.items() if k != "date"}
    return Download(key, t(label_word, lang, **label_fields), t(file_word, lang, **fields), mime, build)


def _bytes(results: Results, lang: str, kam: str | None = None) -> bytes:
    buffer = io.BytesIO()
    export.write_workbook(results, buffer, lang, kam=kam)
    return buffer.getvalue()


def _mask_in_text(value: object, own: frozenset[str]) -> object:
    """Free text (an adjustment's or adjudication's ref) with every mobile number not in ``own`` masked."""
    if not isinstance(value, str):
        return value

    def mask(m: re.Match) -> str:
        return m.group(0) if m.group(0) in own else f"{m.group(1)}****{m.group(3)}"

    return MOBILE_IN_TEXT.sub(mask, value)


def statement_results(results: Results, viewer: Viewer) -> Results:
    """``results`` cut to ``viewer`` (access.scope) as a statement: the row sheets empty, every phone as SPEC §10
    lets the viewer see it in a download."""
    scoped = scope(results, viewer)
    own = own_phones(scoped, viewer)
    lines = scoped.commissions.copy()
    lines["phone"] = [phone_shown(viewer, p, p in own, download=True) for p in lines["phone"]]
    frames = {name: getattr(scoped, name).iloc[0:0] for name in ROW_SHEETS}
    masked_own = own if viewer.role == KAM else frozenset()
    keep_all = viewer.sees_all
    adjustments, adjudications = scoped.adjustments.copy(), scoped.adjudications.copy()
    if not keep_all:
        adjustments["ref"] = [_mask_in_text(v, masked_own) for v in adjustments["ref"]]
        adjudications["ref"] = [_mask_in_text(v, masked_own) for v in adjudications["ref"]]
    return dataclasses.replace(
        scoped, commissions=lines, adjustments=adjustments, adjudications=adjudications, **frames
    )


def downloads(
    results: Results, viewer: Viewer, lang: str, kam: str | None = None, month: str | None = None
) -> list[Download]:
    """What ``viewer`` may download, in the order a page offers them. ``kam``: the KAM picked on the page
    (director, finance, team lead: that KAM's per-KAM workbook when they may see the KAM); a KAM always gets
    their own statement. With a ``month`` (YYYY-MM), the printable 结算单 (SPEC §9) of that KAM and month, and
    for director, finance and team lead every KAM of the month they may see as one PDF."""
    date = day(results.as_of)
    out: list[Download] = []
    if viewer.may("download_all"):
        out.append(
            _worded(
                "all",
                "ui.comm.download_all",
                "ui.comm.file_all",
                lang,
                XLSX,
                lambda: _bytes(results, lang),
                date=date,
            )
        )
    if not viewer.may("download_statement"):
        return out
    if viewer.role == TEAM_LEAD:
        team = viewer.team or ""
        out.append(
            _worded(
                "team",
                "scope.download.team",
                "scope.download.file_team",
                lang,
                XLSX,
                lambda: _bytes(statement_results(results, viewer), lang),
                team=team,
                date=date,
            )
        )
    if viewer.role == KAM:
        kam = viewer.kam
    names = allowed_kams(results, viewer)
    if kam and (names is None or kam in names):
        if viewer.sees_all:
            build = lambda: _bytes(results, lang, kam=kam)  # noqa: E731  the existing per-KAM workbook
        else:
            build = lambda: _bytes(statement_results(results, viewer), lang, kam=kam)  # noqa: E731
        out.append(
            _worded("kam", "ui.comm.download_kam", "ui.comm.file_kam", lang, XLSX, build, kam=kam, date=date)
        )
    if month:
        out.extend(_statement_pdfs(results, viewer, lang, kam, month, names))
    return out


def _statement_pdfs(
    results: Results, viewer: Viewer, lang: str, kam: str | None, month: str, names: set[str] | None
) -> list[Download]:
    """The 结算单 PDFs of ``month``: of ``kam`` when it has a statement row then, and of every KAM of the month."""
    # late: fpdf2 and the font are needed only when a PDF is offered
    from kam_metrics.export import statement_pdf

    scoped = scope(results, viewer)
    statement = scoped.statement[scoped.statement["month"] == month]
    out = []
    if kam and (names is None or kam in names) and kam in set(statement["kam"]):
        out.append(
            _worded(
                "pdf_kam",
                "scope.download.pdf_kam",
                "scope.download.file_pdf_kam",
                lang,
                PDF,
                lambda: statement_pdf.statement_pdf(scoped, kam, month, lang),
                kam=kam,
                month=month,
            )
        )
    if viewer.role != KAM and len(statement):
        out.append(
            _worded(
                "pdf_month",
                "scope.download.pdf_month",
                "scope.download.file_pdf_month",
                lang,
                PDF,
                lambda: statement_pdf.month_pdf(scoped, month, lang),
                month=month,
            )
        )
    return out
