"""Plotly figures for the pages, drawn from the view models' frames (no business logic).

Plotly reads a few HTML tags in hover and tick texts (``<a href>`` among them), so every name from the data
reaches a figure escaped (dashboard.text.html); values stay raw where a click reads them back.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.text import html

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
STATE_COLOURS = {"met": "#2e7d32", "missed": "#c62828", "in_progress": "#9e9e9e"}


def _layout(fig: go.Figure, height: int, legend_below: bool = False) -> go.Figure:
    # Facet titles sit above the panels, so a faceted chart keeps its legend below them.
    legend = {"orientation": "h", "x": 0, "title": None}
    legend |= {"yanchor": "top", "y": -0.25} if legend_below else {"yanchor": "bottom", "y": 1.02}
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"family": FONT},
        legend=legend,
    )
    return fig


def _names_as_text(fig: go.Figure, axis: str, names: list[str]) -> None:
    """Tick labels of a category axis of names, escaped (the values stay the names a click reports)."""
    getattr(fig, f"update_{axis}axes")(tickmode="array", tickvals=names, ticktext=[html(n) for n in names])


def funnel(frame: pd.DataFrame) -> go.Figure:
    """Leads → valid leads → valid visits → deals."""
    fig = go.Figure(
        go.Funnel(
            y=frame["stage"],
            x=frame["count"],
            textinfo="value+percent previous",
            marker={"color": ["#90caf9", "#42a5f5", "#1e88e5", "#0d47a1"][: len(frame)]},
        )
    )
    return _layout(fig, 320)


def trend(frame: pd.DataFrame) -> go.Figure:
    """One panel per quota: the team's weekly count against the summed target."""
    fig = px.line(
        frame,
        x="label",
        hover_data={"week": True, "label": False},
        y="value",
        color="series",
        facet_col="quota",
        markers=True,
        line_dash="series",
        color_discrete_sequence=["#1e88e5", "#9e9e9e"],
        facet_col_spacing=0.07,  # room for each panel's own y tick labels
    )
    fig.update_yaxes(matches=None, showticklabels=True, title=None, rangemode="tozero")
    fig.update_xaxes(title=None, tickangle=-60, tickfont={"size": 10})
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return _layout(fig, 400, legend_below=True)


def hover(cells: pd.DataFrame) -> list[str]:
    """The hover text of each grid cell: KAM · week, state, counts, fine and the flag, one per line."""
    texts = []
    for c in cells.itertuples(index=False):
        lines = [f"{c.kam} · {c.week}", c.state_label, c.counts, c.fine] + ([c.flag] if c.flag else [])
        texts.append("<br>".join(html(line) for line in lines))
    return texts


def heatmap(cells: pd.DataFrame, kams: list[str], weeks: list[str]) -> go.Figure:
    """KAM × week grid of squares coloured met / missed / in progress.

    Drawn as square scatter markers rather than a plotly heatmap, because Streamlit reports point
    selections of scatter traces only (a heatmap click returns nothing).
    """
    fig = go.Figure()
    size = max(14, min(30, int(900 / max(len(weeks), 1))))
    for state, colour in STATE_COLOURS.items():
        part = cells[cells["state"] == state]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["week"],
                y=part["kam"],
                mode="markers+text",
                name=part["state_label"].iloc[0],
                # The fine on the cell itself (not only on hover): a glance shows who cost what.
                text=part["text"],
                textposition="middle center",
                textfont={"size": max(8, min(11, size // 3)), "color": "#fff"},
                marker={
                    "symbol": "square",
                    "size": size,
                    "color": colour,
                    "line": {"width": 1, "color": "#fff"},
                },
                # After a click the other cells fade only a little (plotly's default 0.2 washes them out).
                selected={"marker": {"opacity": 1}},
                unselected={"marker": {"opacity": 0.45}, "textfont": {"color": "#333"}},
                hovertext=hover(part),
                hoverinfo="text",
                customdata=part[["kam", "week"]].to_numpy(),
            )
        )
    fig.update_xaxes(categoryorder="array", categoryarray=weeks, tickangle=-45, showgrid=False)
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(kams)), showgrid=False)
    _names_as_text(fig, "y", list(reversed(kams)))
    fig.update_layout(clickmode="event+select", dragmode=False, plot_bgcolor="rgba(0,0,0,0)")
    return _layout(fig, 120 + 34 * max(len(kams), 1))


def refusals(frame: pd.DataFrame, kams: list[str] | None = None) -> dict[str, go.Figure]:
    """Per kind of row (``what``: leads, visits) one chart: per KAM (in ``kams`` order, the roster's, when
    given), stacked counts of refused rows by reason. One chart each, so a legend holds only its own reasons."""
    orders = {"kam": kams} if kams else {}
    charts = {}
    for what, part in frame.groupby("what", sort=False):
        fig = px.bar(part, x="kam", y="count", color="reason", barmode="stack", category_orders=orders)
        fig.update_xaxes(title=None)
        fig.update_yaxes(title=None)
        shown = kams or sorted(set(part["kam"]))
        _names_as_text(fig, "x", [k for k in shown if k in set(part["kam"])])
        charts[str(what)] = _layout(fig, 400, legend_below=True)
    return charts
