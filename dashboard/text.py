"""User-supplied text on a page is shown as text: escaped for every Streamlit element that reads Markdown.

st.markdown, captions, titles, alerts, metric labels and values, and button labels all interpret Markdown
(links, images, raw HTML, ``:colour[...]`` and ``$…$``): a customer named ``![c](http://x/y.png)`` would make
every viewer's browser fetch that address. Every such text goes through ``md`` (tables, select-box options and
st.text do not interpret, so they take the text as it is); chart labels go through ``html``.
"""

from __future__ import annotations

import html as _html
import re

# CommonMark lets a backslash escape any ASCII punctuation; escaping all of it is the one rule that holds for
# every construct (links, images, emphasis, HTML, headings, lists) plus Streamlit's own (:red[…], $…$, :icon:).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GitHub-flavoured Markdown also links bare addresses (http://…, www.…, a@b.c), found in the text after the
# escapes are read (a real-browser test showed it): an invisible word joiner breaks each pattern.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www)(?=[:.])|(@)")
JOINER = "\u2060"


def md(value: object) -> str:
    """``value`` as Markdown that shows exactly its characters (line breaks as spaces; a bare address gets an
    invisible word joiner so that it is not made a link)."""
    text = " ".join(("" if value is None else str(value)).splitlines())
    text = _AUTOLINK.sub(lambda m: m.group(0) + JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)


def html(value: object) -> str:
    """``value`` for plotly's hover and tick texts, which read a few HTML tags (<a href>, <b>, <br>)."""
    return _html.escape("" if value is None else str(value), quote=False)
