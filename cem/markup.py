"""Text from a model or data, put into Markdown and HTML as text only.

A model's names, need statements, currency, a study's title and description and the values of
segment columns are typed by whoever wrote the study, or come from a client's export. Put into
a report's Markdown as they are, ``![x](http://host/p.png)`` would be an image fetched when the
page opens, ``[c](javascript:...)`` a link that runs script, ``<img src=...>`` raw HTML, a bare
``http://...`` a link, and ``$x$`` mathematics. :func:`md_escape` makes such text read exactly as
typed, in nbconvert's Markdown (mistune) as in JupyterLab's (marked).

The rule: every ASCII punctuation character gets a backslash, but ``&``, which becomes
``&amp;``. CommonMark (and GFM, and both renderers) defines ``\\`` before any ASCII punctuation
as that character, literally, and ``&amp;`` as ``&``, so the visible text is unchanged, and no
Markdown construct can start: no emphasis, link, image,
autolink (``http\\:\\/\\/`` is no URL, ``www\\.`` no domain, ``a\\@b`` no address), raw HTML,
entity (``&amp;``), math (``\\$``), heading, list, table or code. Line breaks become spaces: the
text is inline, inside a sentence or a list item, and a line break could start a block.
"""
from __future__ import annotations

import re
import string

__all__ = ["md_escape"]

# Every ASCII punctuation character (the set CommonMark lets a backslash escape) but "&", which
# becomes "&amp;": mistune 3 decodes "\&copy\;" to "©" in the text after emphasis (nbconvert
# renders "**a** \&copy\;" as "a ©"), never "&amp;copy\;".
_PUNCT = re.compile("([" + re.escape(string.punctuation.replace("&", "")) + "])")
# Line and paragraph separators (and the other vertical whitespace) end a Markdown line.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")
# Other control characters show as nothing or garbage; NUL is replaced by renderers.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")


def md_escape(text: object) -> str:
    """``text`` as Markdown that renders as exactly that text: no link, image, HTML or math.

    Parameters
    ----------
    text : object
        Usually a str; anything else is converted with ``str`` (None is the empty string).

    Returns
    -------
    str
        Inline Markdown: one line, every ASCII punctuation character backslash-escaped.

    Examples
    --------
    >>> md_escape("Pay $50 now")
    'Pay \\\\$50 now'
    >>> print(md_escape("![x](http://host/p.png) <b>hi</b>"))
    \\!\\[x\\]\\(http\\:\\/\\/host\\/p\\.png\\) \\<b\\>hi\\<\\/b\\>
    >>> print(md_escape("line one\\n# not a heading"))
    line one \\# not a heading
    >>> md_escape(None), md_escape(12)
    ('', '12')

    Rendered by the Markdown renderer nbconvert uses, the text reads as typed:

    >>> from nbconvert.filters.markdown_mistune import markdown2html_mistune
    >>> print(markdown2html_mistune(md_escape("[c](javascript:alert(1)) & http://host <i>")).strip())
    <p>[c](javascript:alert(1)) &amp; http://host &lt;i&gt;</p>
    """
    if text is None:
        return ""
    text = _CONTROLS.sub("", _BREAKS.sub(" ", str(text))).strip()
    return _PUNCT.sub(r"\\\1", text).replace("&", "&amp;")

