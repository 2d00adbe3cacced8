"""dashboard.text: user text escaped for Markdown and for plotly's HTML-reading labels."""

from __future__ import annotations

import pytest

from dashboard.text import html, md


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("![c](http://127.0.0.1:9/x.png)", r"\!\[c\]\(http\:\/\/127\.0\.0\.1\:9\/x\.png\)"),
        ("[王伟](http://evil)", r"\[王伟\]\(http\:\/\/evil\)"),
        ("<b>x</b>", r"\<b\>x\<\/b\>"),
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\<\/script\>"),
        (":red[x] $y$ **z** # h", r"\:red\[x\] \$y\$ \*\*z\*\* \# h"),
        ("王伟", "王伟"),
    ],
)
def test_md_escapes_every_ascii_punctuation_so_markdown_shows_the_text_itself(name, escaped):
    assert md(name) == escaped


def test_md_keeps_a_line_break_from_starting_a_new_markdown_block():
    assert md("甲\n# 乙") == r"甲 \# 乙"
    assert md(None) == ""


def test_html_escapes_tags_for_plotly_labels():
    assert html("<a href='http://evil'>x</a> & y") == "&lt;a href='http://evil'&gt;x&lt;/a&gt; &amp; y"
