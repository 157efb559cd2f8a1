"""Report pages: sanitised after nbconvert, and under a Content-Security-Policy that loads nothing."""
import re
from pathlib import Path

import nbformat
import pytest

from cem.reporting.pages import CSP, csp_meta, notebook_to_html, safe_url, sanitize_html

EVIL = "http://127.0.0.1:9"

HOSTILE_PAGE = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0;url={EVIL}/refresh">
<base href="{EVIL}/">
<link rel="stylesheet" href="{EVIL}/s.css"><link rel="icon" href="{EVIL}/favicon.ico">
<script src="{EVIL}/x.js"></script><script>window.__pwned = 1</script>
<style>@import url({EVIL}/i.css); body {{ background: url("{EVIL}/bg.png"); color: red }}
 .a {{ background-image: u\\72l({EVIL}/esc.png) }} .b {{ background: image-set("{EVIL}/set.png" 1x) }}
 .c > .d {{ background: url(data:image/png;base64,iVBORw0KGgo=) }}
 @font-face {{ font-family: f; src: url({EVIL}/f.woff) }}</style>
</head><body>
<!-- <a href="{EVIL}/comment">hidden</a> -->
<img src="{EVIL}/p.png" alt="remote"><img src="data:image/png;base64,iVBORw0KGgo=" alt="embedded">
<img srcset="{EVIL}/a.png 1x, figures/b.png 2x" alt="srcset"><img src="figures/map.png" alt="local">
<picture><source srcset="{EVIL}/w.webp"></picture>
<video poster="{EVIL}/poster.png" src="{EVIL}/v.mp4"></video>
<a href="javascript:window.__pwned=2">js</a><a href="JaVa&#x09;ScRiPt:alert(1)">js2</a>
<a href="{EVIL}/page">remote</a><a href="//127.0.0.1:9/x">protocol-relative</a><a href="/etc/passwd">abs</a>
<a href="../../secret.html">up</a><a href="%2e%2e/x.html">encoded up</a><a href="..\\x.html">backslash</a>
<a href="file:///etc/passwd">file</a><a href="data:text/html,<script>alert(1)</script>">data</a>
<a href="02_needs_opportunities.html#Top" ping="{EVIL}/ping">ok</a><a href="#The-map">anchor</a>
<a href="../index.html">all reports</a><a href="tables/win_back.csv">table</a>
<form action="{EVIL}/post"><button formaction="{EVIL}/post2">send</button></form>
<iframe src="{EVIL}/frame" srcdoc="<img src={EVIL}/srcdoc.png>"></iframe>
<object data="{EVIL}/o.swf"></object><embed src="{EVIL}/e.swf">
<div onclick="window.__pwned=3" onmouseover="x()" style="background:url('{EVIL}/inline.png'); color: blue">div</div>
<table background="{EVIL}/t.png"><tr><td>cell</td></tr></table>
<svg><a xlink:href="javascript:alert(1)"><text>svg</text></a><image href="{EVIL}/svg.png"/>
<set attributeName="href" to="javascript:alert(1)"/><style>.x {{ fill: url({EVIL}/svgstyle.png) }}</style></svg>
<p>text mentioning {EVIL}/plain stays as text</p>
</body></html>"""


@pytest.fixture(scope="module")
def clean():
    return sanitize_html(HOSTILE_PAGE)


def _urls(page):
    """Every URL-ish attribute value and CSS url() of a page."""
    attrs = re.findall(r'\b(?:href|src|srcset|action|formaction|poster|background|ping|data|srcdoc)\s*=\s*"([^"]*)"',
                       page, re.I)
    css = re.findall(r"url\(\s*['\"]?([^'\")]*)", page, re.I)
    return attrs + css


def test_nothing_left_points_outside_the_run(clean):
    for url in _urls(clean):
        assert safe_url(url) or safe_url(url, image=True), url
    assert "127.0.0.1:9" not in clean.replace(f"text mentioning {EVIL}/plain", "")
    assert "javascript" not in clean.lower()
    for tag in ("<script", "<iframe", "<object", "<embed", "<base", "<link", "<set", 'http-equiv="refresh"', "<!--"):
        assert tag not in clean.lower(), tag
    assert not re.search(r"\son\w+\s*=", clean)  # no event handler attribute


def test_what_belongs_to_the_run_is_kept(clean):
    for kept in ('href="02_needs_opportunities.html#Top"', 'href="#The-map"', 'href="../index.html"',
                 'href="tables/win_back.csv"', 'src="figures/map.png"', 'src="data:image/png;base64,iVBORw0KGgo="',
                 "url(data:image/png;base64,iVBORw0KGgo=)", ".c > .d", "color: blue", "color: red",
                 f"text mentioning {EVIL}/plain stays as text", '<meta charset="utf-8"/>', "<!DOCTYPE html>"):
        assert kept in clean, kept
    # links that lost their target keep their text, so the page reads the same
    for text in (">js<", ">remote<", ">up<", ">data<", ">cell<", ">svg<"):
        assert text in clean, text


def test_a_clean_page_is_left_as_it_is():
    page = ('<!DOCTYPE html>\n\n<html><head><meta charset="utf-8"/><style>.a > .b { color: red }</style></head>'
            '<body><h1 id="T">T<a class="anchor-link" href="#T">¶</a></h1><img src="data:image/png;base64,AAAA"/>'
            '<p>a &lt;b&gt; &amp; c</p><a href="01_journey_model.html">next</a></body></html>')
    assert sanitize_html(page) == page


@pytest.mark.parametrize("url", ["http://h/x", "https://h/x", "//h/x", "/x", "\\\\h\\x", "javascript:x", " javascript:x",
                                 "java\nscript:x", "vbscript:x", "file:///x", "data:text/html,x", "../x", "a/../../x",
                                 "%2e%2e/x", "%252e%252e/x", "blob:x", "mailto:a@b", "C:/x", ""])
def test_unsafe_urls(url):
    assert not safe_url(url) and not safe_url(url, image=True)


def test_csp_forbids_every_load_and_script():
    rules = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert rules["default-src"] == "'none'" and rules["img-src"] == "data:" and rules["font-src"] == "data:"
    assert rules["style-src"] == "'unsafe-inline'" and rules["base-uri"] == "'none'" and rules["form-action"] == "'none'"
    assert "script-src" not in rules  # default-src 'none': no script at all
    assert csp_meta() == f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#x27;")}">'


def test_the_template_default_is_the_same_policy():
    """`jupyter nbconvert --template cem_report` by hand gets the same policy as `cem report`."""
    template = (Path(__file__).resolve().parents[2] / "cem" / "reporting" / "templates" / "cem_report" / "index.html.j2").read_text()
    assert f'"{CSP}"' in template


def test_a_rendered_page_carries_the_policy_first_and_no_script(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n![x](http://127.0.0.1:9/p.png) [c](javascript:alert(1))"),
                nbformat.v4.new_code_cell("1", outputs=[
                    nbformat.v4.new_output("display_data", {"text/html": f'<img src="{EVIL}/o.png"><b>bold</b>'}),
                    nbformat.v4.new_output("display_data", {"text/markdown": "![y](http://127.0.0.1:9/md.png) *md*"}),
                    nbformat.v4.new_output("display_data", {"application/javascript": "window.__pwned = 1"})])]
    src = tmp_path / "page.ipynb"
    nbformat.write(nb, str(src))
    page = notebook_to_html(src, tmp_path / "page.html").read_text()
    head = page[:page.index("</head>")]
    policy = head.index('http-equiv="Content-Security-Policy"')
    assert policy < head.index("<style")
    assert not re.search(r"<(img|link|script|style)\b", head[:policy])  # nothing can load before the policy applies
    assert "default-src &#39;none&#39;; img-src data:" in head or "default-src 'none'; img-src data:" in head
    assert "<script" not in page and "127.0.0.1:9" not in page and "javascript:" not in page
    assert "<b>bold</b>" in page and "<em>md</em>" in page and 'class="cem-nav"' in page and 'href="../index.html"' in page
