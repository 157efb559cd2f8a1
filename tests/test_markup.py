"""Model and data text in Markdown: rendered as nbconvert renders a report, it is text, as typed."""
import html
import re

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from cem.markup import md_escape

HOSTILE = [
    "![x](http://127.0.0.1:9/p.png)",
    "<img src=http://127.0.0.1:9/i.png onerror=alert(1)>",
    "[c](javascript:window.__pwned=1)",
    "<script>window.__pwned=2</script>",
    "see http://127.0.0.1:9/bare and <http://127.0.0.1:9/auto> or www.example.org, a@example.org",
    "Pay $50 now, $20 later; $x$ and $$y$$",
    "# heading\n- item\n1. first\n> quote\n    code\n---",
    "*em* _em_ **strong** ~~del~~ `code` | a | b |",
    "&copy; &amp; &#x41; \\ back\\slash",
    "[ref]: http://127.0.0.1:9/r.png\n![y][ref]",
    '<a href="http://127.0.0.1:9/">a</a><iframe src=http://127.0.0.1:9/f></iframe>',
    "Région Sud: 1 000 € / an (50 %)",
]


def _visible(rendered):
    """The text a browser shows for rendered Markdown: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", rendered)).split())


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_itself_with_no_markup(text):
    rendered = markdown2html_mistune(md_escape(text))
    body = rendered.strip()
    assert body.startswith("<p>") and body.endswith("</p>") and body.count("<") == 2, body  # one paragraph, no tag
    for tag in ("<img", "<a", "<script", "<iframe", "<em", "<strong", "<code", "<h1", "<li", "<table", "<span"):
        assert tag not in rendered
    assert "$" not in text or "\\$" in md_escape(text)  # JupyterLab's MathJax sees no math either
    assert _visible(rendered) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_inside_cem_markdown_stays_text(text):
    """In a list item, bold and a sentence, as the explain_* functions and notebooks use it."""
    page = markdown2html_mistune(f"## {md_escape(text)}\n\n1. **{md_escape(text)}** (high): {md_escape(text)}.")
    # nbconvert gives a heading its own anchor link (a fragment of the same page): the only link.
    anchors = re.findall(r'<a class="anchor-link" href="([^"]*)">', page)
    assert len(anchors) == 1 and anchors[0].startswith("#")
    page = re.sub(r'<a class="anchor-link" href="[^"]*">&#182;</a>', "", page)
    assert page.count("<h2") == 1 and page.count("<li>") == 1 and page.count("<strong>") == 1
    assert "<img" not in page and "<a " not in page and "<script" not in page
    typed = " ".join(text.split())
    assert _visible(page) == f"{typed} {typed} (high): {typed}."


def test_line_breaks_and_control_characters_cannot_start_a_block():
    assert md_escape("a\r\nb\u2028c\x00d\x1b[31m") == "a b cd\\[31m"
    assert md_escape("  padded  ") == "padded"


def test_everything_that_is_not_punctuation_is_unchanged():
    text = "Région Sud 2024 façade Ünïcode 東京 αβγ"
    assert md_escape(text) == text
