"""dashboard.text: user text escaped for Markdown and for plotly's HTML-reading labels."""

from __future__ import annotations

import pytest

from dashboard.text import html, md


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        (
            "![c](http://127.0.0.1:9/x.png)",
            "\\!\\[c\\]\\(http\u2060\\:\\/\\/127\\.0\\.0\\.1\\:9\\/x\\.png\\)",
        ),
        ("[王伟](http://evil)", "\\[王伟\\]\\(http\u2060\\:\\/\\/evil\\)"),
        ("<b>x</b>", r"\<b\>x\<\/b\>"),
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\<\/script\>"),
        (":red[x] $y$ **z** # h", r"\:red\[x\] \$y\$ \*\*z\*\* \# h"),
        ("王伟", "王伟"),
    ],
)
def test_md_escapes_every_ascii_punctuation_so_markdown_shows_the_text_itself(name, escaped):
    assert md(name) == escaped


@pytest.mark.parametrize(
    ("address", "broken"),
    [
        ("http://x.cn", "http\u2060\\:\\/\\/x\\.cn"),
        ("WWW.x.cn", "WWW\u2060\\.x\\.cn"),
        ("a@b.cn", "a\\@\u2060b\\.cn"),
    ],
)
def test_md_breaks_bare_addresses_with_an_invisible_joiner_so_they_are_not_linked(address, broken):
    assert md(address) == broken


def test_md_keeps_a_line_break_from_starting_a_new_markdown_block():
    assert md("甲\n# 乙") == r"甲 \# 乙"
    assert md(None) == ""


def test_html_escapes_tags_for_plotly_labels():
    assert html("<a href='http://evil'>x</a> & y") == "&lt;a href='http://evil'&gt;x&lt;/a&gt; &amp; y"
