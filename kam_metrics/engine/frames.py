"""Plain-Python passes over a frame's columns: the engine's loops read columns as lists, not rows through pandas."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd


def column_rows(frame: pd.DataFrame, *columns: str) -> Iterator[tuple]:
    """The rows of ``frame`` as tuples of ``columns``' plain Python values (``tolist``), in one pass.

    A million-lead store has tens of thousands of result rows: one list per column and a zip is what keeps these
    loops fast (``itertuples`` or per-row indexing would not), and the values are Python's, not numpy's."""
    return zip(*(frame[c].tolist() for c in columns), strict=True)
