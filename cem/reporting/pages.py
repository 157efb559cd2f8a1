"""Report pages: an executed notebook as an HTML page a client can open offline, safely.

The page carries no code cells, its images are embedded, and it loads nothing from elsewhere.
Three layers keep it so:

1. Text from a model or data reaches Markdown only through :func:`cem.markup.md_escape`, so
   a name cannot become an image, a link or markup.
2. :func:`sanitize_html` runs on every page nbconvert renders: no ``href``, ``src``,
   ``srcset``, ``action``, ``formaction``, ``poster`` or CSS ``url()`` may point outside the
   run. Kept are relative links to the run's own files (no ``..``, no scheme, no host),
   ``#anchors``, ``data:image/...`` for images, and the template's one link up to the batch's
   ``../index.html``. Scripts, frames, embedded objects, ``<base>``, ``<link>``, meta refreshes,
   event-handler attributes and comments are removed.
3. The page's :data:`CSP` (a ``<meta http-equiv="Content-Security-Policy">`` first in its
   head) forbids the browser any load at all but inline styles and ``data:`` images and fonts,
   and runs no script: whatever the first two layers missed still fetches nothing.

The report index (:func:`cem.reporting.write_index`) carries the same policy (:func:`csp_meta`).
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["CSP", "csp_meta", "notebook_to_html", "sanitize_html", "safe_url"]

#: The Content-Security-Policy of every report page: nothing is loaded from anywhere (not even
#: the run's own folder) but inline styles and ``data:`` images and fonts; no script runs, no
#: form is sent, no ``<base>`` moves relative links. Links still navigate (CSP cannot forbid
#: that): :func:`sanitize_html` keeps only links to the run's own files.
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
       "base-uri 'none'; form-action 'none'")

# The template's navigation link, up from a run to the batch's index: the one ".." kept.
_NAV_LINKS = frozenset({"../index.html"})

# Elements a report page never needs and which load or run something: removed with their content.
_DROP_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link",
                        "portal", "fencedframe", "noscript", "template",
                        # SVG animation can set an href after the page is sanitised.
                        "animate", "set", "animatemotion", "animatetransform", "discard"})

# Attributes that name a place to go (navigate, submit) or a thing to load.
_LINK_ATTRS = frozenset({"href", "action", "formaction", "cite", "longdesc", "usemap"})
_IMAGE_ATTRS = frozenset({"src", "poster", "background", "lowsrc", "dynsrc", "icon"})
_SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})
# Attributes that only ever reach out (ping sends a request on every click): always removed.
_NEVER_ATTRS = frozenset({"ping", "manifest", "codebase", "archive", "classid", "data", "profile",
                          "attributionsrc", "srcdoc"})

# Browsers drop these anywhere in a URL (WHATWG URL parsing), so "java\tscript:" is a scheme.
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|jpg|gif|webp|bmp|svg\+xml)[;,]", re.IGNORECASE)


def csp_meta() -> str:
    """The ``<meta>`` element that applies :data:`CSP` to a page: put it first in ``<head>``.

    Examples
    --------
    >>> csp_meta().startswith('<meta http-equiv="Content-Security-Policy" content="default-src')
    True
    >>> "&#x27;none&#x27;" in csp_meta()
    True
    """
    return f'<meta http-equiv="Content-Security-Policy" content="{html.escape(CSP)}">'


def safe_url(url: str, image: bool = False) -> bool:
    """Whether a page may keep ``url``: a relative path to the run's own files or an anchor.

    Parameters
    ----------
    url : str
        The attribute's value, entities already decoded.
    image : bool
        The URL is loaded as an image (``src``, ``poster``, CSS ``url()``): ``data:image/...``
        is kept too. Anchors are kept only for links.

    Returns
    -------
    bool

    Examples
    --------
    >>> safe_url("02_needs_opportunities.html"), safe_url("figures/map.png", image=True)
    (True, True)
    >>> safe_url("#The-journey-map"), safe_url("../index.html")
    (True, True)
    >>> safe_url("http://127.0.0.1:8000/p.png", image=True), safe_url("//host/p.png")
    (False, False)
    >>> safe_url("java\\tscript:alert(1)"), safe_url("../../etc/passwd"), safe_url("%2e%2e/x.html")
    (False, False, False)
    >>> safe_url("data:image/png;base64,iVBORw0KGgo=", image=True), safe_url("data:text/html,<b>")
    (True, False)
    """
    raw = _URL_JUNK.sub("", url or "")
    if not raw:
        return False
    if image and _DATA_IMAGE.match(raw):
        return True
    if raw in _NAV_LINKS and not image:
        return True
    if raw.startswith("#"):
        return not image
    if "\\" in raw or raw.startswith("/"):
        return False  # "\" is "/" to a browser; "/x" and "//host/x" leave the run
    try:
        parts = urlsplit(raw)
    except ValueError:
        return False
    if parts.scheme or parts.netloc:
        return False
    # Percent-encoded dots and slashes are still ".." to the file system.
    segments = re.split(r"[/\\]", unquote(unquote(parts.path)))
    return ".." not in segments and not any(":" in s for s in segments[:1])


def _safe_srcset(value: str) -> bool:
    """Whether every candidate of a ``srcset`` is a safe image URL."""
    candidates = [c.strip() for c in value.split(",") if c.strip()]
    # data: URLs contain a comma; a srcset holding one cannot be split reliably: refuse it.
    if "data:" in value.lower() or not candidates:
        return False
    return all(safe_url(c.split()[0], image=True) for c in candidates)


def _clean_css(css: str, declarations: bool = False) -> str:
    """CSS with every ``url()``, ``image-set()`` or ``@import`` that leaves the run made ``none``.

    Parsed with tinycss2 (nbconvert's CSS sanitiser dependency), so escapes such as
    ``u\\72l(...)`` are seen as the browser sees them. ``<`` is escaped as ``\\3c `` so a
    ``<style>`` inside inline SVG, which a browser parses as markup, holds no tag.
    """
    import tinycss2
    from tinycss2 import ast

    nodes = (tinycss2.parse_blocks_contents(css, skip_comments=True) if declarations
             else tinycss2.parse_stylesheet(css, skip_comments=True))
    changed = False

    def none_like(node):
        return ast.IdentToken(node.source_line, node.source_column, "none")

    def walk(items):
        nonlocal changed
        out = []
        for node in items:
            kind = node.type
            if kind == "at-rule" and node.lower_at_keyword in ("import", "font-feature-values", "namespace"):
                changed = True  # a report imports no style sheet
                continue
            if kind == "url":
                if not safe_url(node.value, image=True):
                    changed = True
                    node = none_like(node)
            elif kind == "error":
                changed = True  # bad-url and the like: never worth keeping
                continue
            elif kind == "function":
                name = node.lower_name
                strings = [a.value for a in node.arguments if a.type == "string"]
                if name in ("url", "src") and not all(safe_url(s, image=True) for s in strings or [""]):
                    changed = True
                    node = none_like(node)
                elif name.endswith("image-set") and not all(safe_url(s, image=True) for s in strings):
                    changed = True
                    node = none_like(node)
                else:
                    node.arguments = walk(node.arguments)
            elif kind in ("() block", "[] block", "{} block"):
                node.content = walk(node.content)
            elif kind in ("qualified-rule", "at-rule"):
                node.prelude = walk(node.prelude)
                if node.content is not None:
                    node.content = walk(node.content)
            elif kind == "declaration":
                node.value = walk(node.value)
            out.append(node)
        return out

    nodes = walk(nodes)
    text = tinycss2.serialize(nodes) if changed else css
    return text.replace("<", "\\3c ")


def sanitize_html(page: str) -> str:
    """A page whose every link and load stays inside the run (see the module's description).

    Parameters
    ----------
    page : str
        A whole HTML document (or a fragment).

    Returns
    -------
    str
        The same document, without what would leave the run or run script.

    Examples
    --------
    >>> dirty = ('<p><img src="http://evil.test/p.png" alt="x"><a href="javascript:alert(1)">c</a> '
    ...          '<a href="02_needs.html" onclick="alert(1)">ok</a><script>alert(2)</script>'
    ...          '<span style="background:url(http://evil.test/b.png)">s</span></p>')
    >>> print(sanitize_html(dirty))
    <p><img alt="x"/><a>c</a> <a href="02_needs.html">ok</a><span style="background:none;">s</span></p>
    """
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, ProcessingInstruction
    from bs4.element import CData

    soup = BeautifulSoup(page, "html.parser")
    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, CData, ProcessingInstruction, Declaration))
                              and not isinstance(s, Doctype)):
        node.extract()  # a comment a browser ends elsewhere than Python's parser could hide markup
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        name = tag.name.lower()
        if name in _DROP_TAGS or (name == "meta" and (tag.get("http-equiv") or "").lower() == "refresh"):
            tag.decompose()
            continue
        for attr in list(tag.attrs):
            key = attr.lower()
            value = tag.attrs[attr]
            value = " ".join(value) if isinstance(value, list) else str(value)
            local = key.split(":")[-1]  # xlink:href is an href
            keep = True
            if key.startswith("on") or key in _NEVER_ATTRS:
                keep = False
            elif local in _LINK_ATTRS:
                keep = safe_url(value)
            elif local in _IMAGE_ATTRS:
                keep = safe_url(value, image=True)
            elif local in _SRCSET_ATTRS:
                keep = _safe_srcset(value)
            elif key == "style":
                tag.attrs[attr] = _clean_css(value, declarations=True)
            if not keep:
                del tag.attrs[attr]
        if name == "style" and tag.string is not None:
            tag.string.replace_with(type(tag.string)(_clean_css(str(tag.string))))
        elif name == "style":
            tag.string = _clean_css(tag.get_text())
    return str(soup)


def notebook_to_html(notebook_path: str | Path, html_path: str | Path) -> Path:
    """Convert an executed notebook to HTML without code cells that opens offline.

    The page is rendered with the ``cem_report`` template (no script, the :data:`CSP`), then
    passed through :func:`sanitize_html`.

    Parameters
    ----------
    notebook_path, html_path : str or Path

    Returns
    -------
    pathlib.Path
        ``html_path``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="cem_report",
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    nb = nbformat.read(str(notebook_path), as_version=4)
    body, _ = exporter.from_notebook_node(nb, resources={"cem_csp": CSP})
    Path(html_path).write_text(sanitize_html(body), encoding="utf-8")
    return Path(html_path)
