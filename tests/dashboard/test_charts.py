"""dashboard.charts: figures from view-model frames; names from the data reach plotly escaped."""

from __future__ import annotations

import pandas as pd

from dashboard import charts
from kam_metrics.present.weekly import CELLS

KAM = "<a href='http://evil'>甲</a>"


def cells() -> pd.DataFrame:
    return pd.DataFrame(
        [
            [KAM, "2026-W01", "missed", "未达标", "拓展单位 1/3", "罚款 ¥200.00", "预警 (连续 2 周)", "200"],
            ["乙", "2026-W01", "met", "达标", "拓展单位 3/3", "罚款 ¥0.00", "", "0"],
        ],
        columns=CELLS,
    )


def test_a_grid_cells_hover_has_one_line_per_fact_with_the_name_escaped():
    assert charts.hover(cells()) == [
        "&lt;a href='http://evil'&gt;甲&lt;/a&gt; · 2026-W01<br>未达标<br>拓展单位 1/3<br>罚款 ¥200.00<br>预警 (连续 2 周)",
        "乙 · 2026-W01<br>达标<br>拓展单位 3/3<br>罚款 ¥0.00",
    ]


def test_the_grid_keeps_raw_names_as_values_for_clicks_and_shows_them_escaped_as_ticks():
    fig = charts.heatmap(cells(), [KAM, "乙"], ["2026-W01"])
    assert [trace.name for trace in fig.data] == ["达标", "未达标"]
    assert list(fig.data[1].y) == [KAM]
    assert list(fig.layout.yaxis.tickvals) == ["乙", KAM]
    assert list(fig.layout.yaxis.ticktext) == ["乙", "&lt;a href='http://evil'&gt;甲&lt;/a&gt;"]


def test_the_refusals_chart_shows_kam_names_escaped_in_roster_order():
    frame = pd.DataFrame(
        {"kam": ["乙", KAM], "what": ["报备", "报备"], "reason": ["他人已报备"] * 2, "count": [1, 2]}
    )
    fig = charts.refusals(frame, [KAM, "乙"])["报备"]
    assert list(fig.layout.xaxis.tickvals) == [KAM, "乙"]
    assert list(fig.layout.xaxis.ticktext)[0].startswith("&lt;a")


def test_each_grid_cell_carries_its_fine_as_text():
    fig = charts.heatmap(cells(), [KAM, "乙"], ["2026-W01"])
    assert [list(trace.text) for trace in fig.data] == [["0"], ["200"]]
    assert all(trace.mode == "markers+text" for trace in fig.data)


def test_lead_and_visit_refusals_get_one_chart_each_so_no_legend_mixes_their_reasons():
    frame = pd.DataFrame(
        {
            "kam": ["乙", "乙", KAM],
            "what": ["报备", "到访", "到访"],
            "reason": ["他人已报备", "未报备", "非本人带访"],
            "count": [1, 2, 3],
        }
    )
    figures = charts.refusals(frame, [KAM, "乙"])
    assert list(figures) == ["报备", "到访"]
    assert [t.name for t in figures["报备"].data] == ["他人已报备"]
    assert sorted(t.name for t in figures["到访"].data) == ["未报备", "非本人带访"]
