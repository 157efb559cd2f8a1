"""Every report page speaks to a client (#15): what a reader sees holds no internal id, no Python
repr, no unformatted number, no 0-based index column and no negative amount at stake.

The reports of the solar and payroll examples and of the help-desk real log are built once per
session (`cem report` into a temporary folder) and every HTML page's visible text is scanned.
Ids may appear only where a client does not read them as text: an appendix (an element of class
``cem-appendix`` or a ``<details>`` block) or a tooltip (an attribute).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cem import load_model
from cem.reporting import run_report
from conftest import EXAMPLES, HELPDESK

STUDIES = {"solar": EXAMPLES / "solar", "payroll": EXAMPLES / "payroll", "helpdesk": HELPDESK}

#: Elements whose text the reader never sees as page text.
HIDDEN = {"style", "script", "head", "title", "template", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Visible(HTMLParser):
    """The visible text of a page, in blocks, and its tables as rows of cell texts.

    Text inside an appendix (class ``cem-appendix``) or a ``<details>`` block is set apart: ids may
    stand there."""

    BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "caption", "div", "tr", "dt", "dd"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, hidden, appendix)
        self.blocks, self.appendix_blocks = [], []
        self.tables = []  # each: list of rows (is_header_row_cells, [(tag, text)])
        self._text = []
        self._cell = None
        self._row = None

    def _flags(self):
        return (any(h for _, h, _ in self.stack), any(a for _, _, a in self.stack))

    def _flush(self):
        text = " ".join("".join(self._text).split())
        if text:
            hidden, appendix = self._flags()
            if not hidden:
                (self.appendix_blocks if appendix else self.blocks).append(text)
        self._text = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        if tag in self.BLOCKS:
            self._flush()
        a = dict(attrs)
        hidden = tag in HIDDEN or "display:none" in (a.get("style") or "").replace(" ", "")
        appendix = tag == "details" or "cem-appendix" in (a.get("class") or "").split()
        self.stack.append((tag, hidden, appendix))
        if tag == "table":
            self.tables.append({"rows": [], "appendix": self._flags()[1] or self._flags()[0]})
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [tag, []]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag in self.BLOCKS:
            self._flush()
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((self._cell[0], " ".join("".join(self._cell[1]).split())))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1]["rows"].append(self._row)
            self._row = None
        while self.stack:
            top = self.stack.pop()[0]
            if top == tag:
                break

    def handle_data(self, data):
        if self._flags()[0]:
            return
        self._text.append(data)
        if self._cell is not None:
            self._cell[1].append(data)


def visible(page: str):
    parser = _Visible()
    parser.feed(page)
    parser.close()
    parser._flush()
    return parser


def model_ids(study: Path) -> set[str]:
    """The model's node ids a reader could not mistake for a word: with an underscore, a digit or a capital."""
    return {n for n in load_model(study).nodes if re.search(r"[_\dA-Z]", n)}


REPRS = [r"\{'", r"\[\('", r"\bdict\(", r"<NA>", r"\bNaN\b", r"\bnan\b", r"\barray\(", r"PosixPath\(",
         r"\bdtype:", r"\bName: \w+, dtype", r"\bOut\[\d+\]"]
LARGE = [(r"(?<![\w.,\-/#])\d{5,}(?![\w,]|\.\d)", "a number of 5 or more digits without thousands separators"),
         (r"(?<![\w.,])\d{1,3}(?:,\d{3})*\.0(?![\d\w])(?! ?%)", "a whole number written as a float (.0)"),
         (r"(?<![\w.,])\d{5,}\.\d+", "a large float without thousands separators")]


def problems(page: str, ids: set[str]) -> list[str]:
    """What a client should not see on one page, one line each."""
    seen = visible(page)
    found = []
    for m in re.finditer(r'data-mime-type="application/vnd\.jupyter\.stderr"[^>]*>(.*?)</div>', page, re.S):
        text = " ".join(re.sub(r"<[^>]+>", " ", m.group(1)).split())
        if text:
            found.append(f"stray output on stderr: {text[:160]}")
    id_pattern = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, ids), key=len, reverse=True))
                            + r")(?![\w-])") if ids else None
    for text in seen.blocks:
        short = text[:160]
        if id_pattern is not None and (m := id_pattern.search(text)):
            found.append(f"internal id {m.group(1)!r}: {short}")
        for pattern in REPRS:
            if re.search(pattern, text):
                found.append(f"Python repr {pattern!r}: {short}")
        for pattern, what in LARGE:
            if m := re.search(pattern, text):
                found.append(f"{what} ({m.group(0)}): {short}")
        if re.search(r"at stake", text, re.I) and re.search(r"(?<![\w\d])[-−]\s?\d[\d,.]*\s?(?:[A-Z]{3}|€|\$|£)",
                                                             text):
            found.append(f"negative amount at stake: {short}")
    for table in seen.tables:
        if table["appendix"] or not table["rows"]:
            continue
        rows = table["rows"]
        header = [text.lower() for _, text in rows[0]]
        body = [r for r in rows[1:] if r]
        for r in body:
            for _, text in r:
                if text in ("None", "nan", "NaN", "<NA>", "NaT"):
                    found.append(f"Python missing value {text!r} as a table cell: {' | '.join(t for _, t in r)[:160]}")
        # A 0-based index column: the first cells of the body count 0, 1, 2, ...
        first = [r[0][1] for r in body]
        if len(first) >= 2 and first[:3] == [str(i) for i in range(min(3, len(first)))]:
            found.append(f"0-based index column: {' | '.join(header)[:160]}")
        for col, name in enumerate(header):
            if ("at stake" in name or "drop-off" in name or "drop off" in name or name == "drop_off"):
                for r in body:
                    if col < len(r) and re.match(r"^[-−]\s?\d", r[col][1]) and not re.match(r"^[-−]\s?0(\.0*)?\s?%?$",
                                                                                            r[col][1]):
                        found.append(f"negative {name}: {r[col][1]} in {' | '.join(t for _, t in r)[:160]}")
    return found


@pytest.fixture(scope="session")
def client_reports(tmp_path_factory):
    """The reports of the three studies, built once for the session."""
    out = tmp_path_factory.mktemp("client_reports") / "out"
    results = run_report(list(STUDIES.values()), out, jobs=2)
    return out, {r.run: r for r in results}


def test_the_scanner_finds_what_a_client_should_not_see():
    ids = {"T_app", "S_permit"}
    page = ("<html><head><title>T_app</title><style>.T_app {}</style></head><body>"
            "<p>Fix S_permit first.</p><p>{'high': 3}</p><p>68285466 EUR and 25200657.0 and n = 394.0</p>"
            "<table><tr><th></th><th>value at stake</th><th>x</th></tr><tr><th>0</th><td>-1,200</td><td>None</td></tr>"
            "<tr><th>1</th><td>300</td><td>&lt;NA&gt;</td></tr><tr><th>2</th><td>3</td><td>4</td></tr></table>"
            "<div class='cem-appendix'><p>S_permit: the permit</p></div>"
            "<p title='T_app'>The app</p><p>1,234,567 EUR; 2024-05-01; experience 0.53; 12 %</p>"
            '<div data-mime-type="application/vnd.jupyter.stderr"><pre>Ignoring fixed y limits</pre></div></body></html>')
    found = problems(page, ids)
    text = "\n".join(found)
    assert "internal id 'S_permit': Fix S_permit first." in text
    assert "Python repr" in text and "without thousands separators (68285466)" in text
    assert "(25200657.0)" in text and "(394.0)" in text
    assert "0-based index column" in text and "negative value at stake: -1,200" in text
    assert "'None' as a table cell" in text and "'<NA>' as a table cell" in text
    assert "stray output on stderr: Ignoring fixed y limits" in text
    assert "T_app" not in text  # a title, a style and a tooltip are not read as text
    assert not any("1,234,567" in f or "2024" in f for f in found)
    assert problems("<p>The permit: 1,234 EUR at stake</p>", ids) == []


@pytest.mark.parametrize("study", list(STUDIES))
def test_every_page_speaks_to_a_client(client_reports, study):
    out, results = client_reports
    assert results[study].status == "ok", results[study].errors
    ids = model_ids(STUDIES[study])
    pages = sorted((out / study).glob("*.html"))
    assert len(pages) >= 3
    found = []
    for page in pages:
        found += [f"{page.name}: {p}" for p in problems(page.read_text(encoding="utf-8"), ids)]
    assert not found, f"{len(found)} thing(s) a client should not see:\n" + "\n".join(found[:80])


def test_the_index_speaks_to_a_client(client_reports):
    out, _ = client_reports
    ids = set().union(*(model_ids(p) for p in STUDIES.values()))
    found = problems((out / "index.html").read_text(encoding="utf-8"), ids)
    assert not found, "\n".join(found)


def test_every_page_renders_in_a_real_browser(client_reports):
    """Each page as Chromium draws it, kept in test-output/pages/ for a person to look at (#15)."""
    import shutil

    import matplotlib.image as mpimg
    import numpy as np

    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed")
    out, _ = client_reports
    shots = Path(__file__).resolve().parents[2] / "test-output" / "pages"
    with sync_api.sync_playwright() as p:  # one browser for every page: a Chromium start per page is slow
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            for study in STUDIES:
                (shots / study).mkdir(parents=True, exist_ok=True)
                for page in sorted((out / study).glob("*.html")):
                    tab.goto(page.resolve().as_uri())
                    png = shots / study / f"{page.stem}.png"
                    tab.screenshot(path=str(png))
                    pixels = mpimg.imread(str(png))
                    assert pixels.shape[:2] == (1000, 1280)
                    # text, tables and figures, not a blank or an error page
                    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50, (study, page.name)
        finally:
            browser.close()
