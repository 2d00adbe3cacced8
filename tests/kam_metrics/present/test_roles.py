"""The role filter on every presentation call (SPEC §10): parametrised over the four roles and every call a page
makes, each view model is walked whole (every frame cell and header, every string, key and nested value)."""

from __future__ import annotations

import dataclasses
import io
import re
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from kam_metrics.access.roles import Refused
from kam_metrics.present import PAGES, check, commissions, customer, downloads, mine, weekly
from tests.kam_metrics.access.test_scope import P1, P3, P4, VIEWERS, office  # noqa: F401  (office: fixture)

FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# SPEC §10: whose names and which full phones each role's screens may hold
OTHERS = {"director": set(), "finance": set(), "team_lead": {"李娜"}, "kam": {"张强", "李娜"}}
FULL_ON_SCREEN = {"director": set(), "finance": set(), "team_lead": set(), "kam": {P1, P3}}
# Widget values the page keeps server-side (the option values of the match pick; the labels are what shows).
NOT_SHOWN = {"phone", "matches"}


def strings(value, field: str = "") -> list[str]:
    """Every text a view model holds, walking dataclasses, dicts, lists and frames (headers and cells)."""
    if field in NOT_SHOWN:
        return []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in strings(getattr(value, f.name), f.name)]
    if isinstance(value, pd.DataFrame):
        return [str(c) for c in value.columns] + [str(v) for v in value.to_numpy().ravel()]
    if isinstance(value, dict):
        keys = [] if field == "match_labels" else [str(k) for k in value]
        return keys + [s for v in value.values() for s in strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings(v)]
    if isinstance(value, (str, int, float, Decimal)) or value is None:
        return [str(value)]
    return [str(value)]


def _week(results) -> str:
    return str(results.weekly.sort_values("week_start")["week"].iloc[0])


# (name, page or permission the call needs: "page:<p>" / "may:<action>" / None, the call)
CALLS = [
    *[(f"PAGES[{p}]", f"page:{p}", lambda r, v, p=p: PAGES[p](r, v, "zh")) for p in PAGES if p != "check"],
    ("PAGES[check]", "may:check_phone", lambda r, v: PAGES["check"](r, v, "zh")),
    ("weekly 李娜's week", "page:weekly", lambda r, v: weekly.view(r, v, "zh", kam="李娜", week=_week(r))),
    ("weekly 王伟's week", "page:weekly", lambda r, v: weekly.view(r, v, "en", kam="王伟", week=_week(r))),
    ("customer search 1", "page:attribution", lambda r, v: customer.view(r, v, "zh", query="000")),
    ("customer 李娜's phone", "page:attribution", lambda r, v: customer.view(r, v, "zh", phone=P4)),
    ("customer P1", "page:attribution", lambda r, v: customer.view(r, v, "zh", phone=P1)),
    ("customer P3", "page:attribution", lambda r, v: customer.view(r, v, "zh", phone=P3)),
    ("commissions all months", "page:commissions", lambda r, v: commissions.view(r, v, "zh", month="*")),
    (
        "commissions 李娜",
        "page:commissions",
        lambda r, v: commissions.view(r, v, "zh", month="*", kam="李娜"),
    ),
    ("mine en", "page:mine", lambda r, v: mine.view(r, v, "en")),
    *[
        (f"check {q}", "may:check_phone", lambda r, v, q=q: check.view(r, v, q, "zh"))
        for q in (P1, P3, P4, "13300004444", "138****5678", "136****2222", "12345")
    ],
    ("kam_week 李娜", "sees:李娜", lambda r, v: weekly.kam_week(r, v, "李娜", _week(r), "zh")),
    ("kam_week 张强", "sees:张强", lambda r, v: weekly.kam_week_view(r, v, "张强", _week(r), "zh")),
    ("story P1", None, lambda r, v: customer.customer_story(r, v, P1, "zh")),
    ("story P4", None, lambda r, v: customer.customer_story(r, v, P4, "zh")),
    ("claim P4", None, lambda r, v: customer.claim_text(r, v, P4, "zh")),
    ("claim P3", None, lambda r, v: customer.claim_text(r, v, P3, "zh")),
    ("refusals", None, lambda r, v: customer.refusals(r, v, "zh")),
    ("statement table", None, lambda r, v: commissions.statement_table(r, v, None, "zh")),
    ("deal lines", None, lambda r, v: commissions.deal_lines(r, v, "zh")),
    ("statement totals", None, lambda r, v: commissions.statement_totals(r, v, None)),
    ("downloads", None, lambda r, v: downloads.downloads(r, v, "zh", kam="李娜")),
]


def _allowed(viewer, need: str | None) -> bool:
    if need is None:
        return True
    kind, what = need.split(":")
    if kind == "sees":  # a KAM's own week: SPEC §10 row 1
        return viewer.sees_all or what in {"team_lead": ("王伟", "张强"), "kam": ("王伟",)}[viewer.role]
    return what in viewer.pages if kind == "page" else viewer.may(what)


@pytest.mark.parametrize("role", list(VIEWERS))
@pytest.mark.parametrize(("name", "need", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_every_call_holds_only_what_the_role_may_see_or_is_refused(office, role, name, need, call):  # noqa: F811
    viewer = VIEWERS[role]
    if not _allowed(viewer, need):
        with pytest.raises(Refused):
            call(office, viewer)
        return
    texts = strings(call(office, viewer))
    for text in texts:
        for other in OTHERS[role]:
            assert other not in text, (name, text)
        assert set(FULL_PHONE.findall(text)) <= FULL_ON_SCREEN[role], (name, text)


def test_the_fixture_has_a_rejected_row_and_a_warning(office):  # noqa: F811
    # so "a team lead and a KAM get none" is tested on real rows
    assert len(office.rejected) == 1 and len(office.warnings) == 1


def test_finance_sees_every_kam(office):  # noqa: F811
    view = PAGES["weekly"](office, VIEWERS["finance"], "zh")
    assert view.kams == ["王伟", "张强", "李娜"] or sorted(view.kams) == sorted(["王伟", "张强", "李娜"])
    assert set(commissions.view(office, VIEWERS["finance"], "zh", month="*").statement.iloc[:, 0]) >= {
        "王伟",
        "李娜",
    }


def test_a_team_lead_sees_their_teams_kams_side_by_side(office):  # noqa: F811
    view = PAGES["weekly"](office, VIEWERS["team_lead"], "zh")
    assert sorted(view.kams) == ["张强", "王伟"]


def test_a_kam_searching_finds_only_phones_on_their_own_rows(office):  # noqa: F811
    view = customer.view(office, VIEWERS["director"], "zh", query="000")
    assert len(view.matches) == 4  # every phone of the office with 000 in it: all but P1
    # 王伟 is refused the attribution page; his own search goes through 查重 (masked form: own leads only)
    answers = check.view(office, VIEWERS["kam"], "137****1111", "zh").answers
    assert [(a.phone, a.status, a.kam) for a in answers] == [(P3, "held", "")]


def _cells(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [
        str(c)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]


@pytest.mark.parametrize("role", list(VIEWERS))
def test_every_download_holds_only_what_the_role_may_download(office, role):  # noqa: F811
    viewer = VIEWERS[role]
    offered = downloads.downloads(office, viewer, "zh", kam="王伟")
    keys = {
        "director": ["all", "kam"],
        "finance": ["all", "kam"],
        "team_lead": ["team", "kam"],
        "kam": ["kam"],
    }
    assert [d.key for d in offered] == keys[role]
    for d in offered:
        cells = _cells(d.build())
        for text in cells:
            for other in OTHERS[role]:
                assert other not in text, (d.key, text)
            if role == "team_lead":
                assert not FULL_PHONE.findall(text), (d.key, text)
            if role == "kam":
                assert set(FULL_PHONE.findall(text)) <= {P1, P3}, (d.key, text)
    if role in ("director", "finance"):  # the full result workbook holds every full phone of the data
        assert {P1, P3, P4} <= {p for text in _cells(offered[0].build()) for p in FULL_PHONE.findall(text)}
    if role == "kam":  # their own deal line with its full number, their weeks' fines
        cells = _cells(offered[0].build())
        assert P1 in cells and "王伟" in cells
