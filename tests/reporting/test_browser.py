"""Reports as a client sees them: index.html rendered by Chromium, reports printed to PDF."""
import json
import os
import re
import shutil
import subprocess

import pytest

from cem.reporting import run_report
from conftest import EXAMPLES, ROOT

SHOTS = ROOT / "test-output"


def _need(tool):
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {tool} (.ci/run installs it)")
        pytest.skip(f"no {tool} on this machine")
    return path


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    _need("chromium")
    out = tmp_path_factory.mktemp("printed") / "out"
    results = run_report([EXAMPLES / "payroll"], out, pdf=True)
    return out, results[0]


def test_index_renders_in_chromium(printed):
    import matplotlib.image as mpimg
    import numpy as np

    from cem.reporting.browser import screenshot

    out, _ = printed
    SHOTS.mkdir(exist_ok=True)
    png = screenshot(out / "index.html", SHOTS / "index.png", width=1400, height=700)
    print(f"screenshot: {png}")
    pixels = mpimg.imread(str(png))
    assert pixels.shape[:2] == (700, 1400)
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50  # text and colour, not a blank page
    dom = subprocess.run([_need("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
                          f"--user-data-dir={out.parent / 'profile'}", "--dump-dom", (out / "index.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert "1 run(s), 0 failed" in dom and 'href="payroll/04_lifetime_value.pdf"' in dom


def test_every_report_is_printed_to_pdf_without_code(printed):
    out, result = printed
    assert result.status == "ok", result.errors
    pdfs = [nb["pdf"] for nb in result.notebooks]
    assert pdfs == [nb["html"].replace(".html", ".pdf") for nb in result.notebooks]
    assert pdfs[-1] == "executive.pdf"  # the run's executive summary, printed with its pages
    pdftotext = _need("pdftotext")
    for name in pdfs:
        data = (out / "payroll" / name).read_bytes()
        assert data.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page\b", data))
        assert pages >= 2, name
        text = subprocess.run([pdftotext, "-layout", str(out / "payroll" / name), "-"], capture_output=True,
                              text=True, timeout=60).stdout
        assert "import cem" not in text and "load_study(" not in text and "save_metrics" not in text, name
        assert "all reports" not in text  # the page's navigation is not printed
        assert "PosixPath" not in text and "/tmp/" not in text  # no file paths of the run's staging folder
    journey = subprocess.run([pdftotext, str(out / "payroll" / "01_journey_model.pdf"), "-"], capture_output=True,
                             text=True, timeout=60).stdout
    assert "The journey map" in journey and "Gaps in the design" in journey
    run = json.loads((out / "payroll" / "run.json").read_text())
    assert all(nb.get("pdf") for nb in run["notebooks"])


def test_pdf_without_a_browser_is_refused_before_any_run(tmp_path, monkeypatch):
    from cem.errors import CemError

    monkeypatch.setenv("CEM_CHROMIUM", "no-such-browser")
    with pytest.raises(CemError, match="CEM_CHROMIUM"):
        run_report([EXAMPLES / "payroll"], tmp_path / "out", pdf=True)
    assert not (tmp_path / "out" / "payroll").exists()


# --- Hostile text: a report fetches nothing, runs nothing, and its links stay in the report ---------

class _Trap:
    """A web server on 127.0.0.1 that records every request: no request may ever reach it."""

    def __init__(self):
        import http.server
        import threading

        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server name
                hits.append(self.path)
                self.send_response(404)
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def hostile_text(url):
    """Every way a name could become a fetch, a link, markup, script or math."""
    return (f"![x]({url}/p.png) <img src={url}/i.png> [c](javascript:window.__pwned=1) "
            f"<script>window.__pwned=2</script> {url}/bare <{url}/auto> $x$")


def hostile_study(folder, url):
    """The solar model with hostile text in its name, steps, needs, touchpoints, actors, jobs, title,
    description, currency and segment value, and small generated data for every notebook."""
    import yaml

    from cem.synth import write_study_data

    text = hostile_text(url)
    folder.mkdir(parents=True)
    model = yaml.safe_load((EXAMPLES / "solar" / "model.yaml").read_text(encoding="utf-8"))
    model["model"]["name"] = f"Model {text}"
    model["model"]["currency"] = "E$R"
    for kind, key in (("steps", "name"), ("needs", "statement"), ("touchpoints", "name"), ("actors", "name"),
                      ("jobs", "name"), ("entities", "name"), ("resources", "name")):
        for i, row in enumerate(model[kind]):
            if i % 3 == 0:
                row[key] = f"{row[key]} {text}"
    (folder / "model.yaml").write_text(yaml.safe_dump(model, sort_keys=False, allow_unicode=True), encoding="utf-8")
    config = yaml.safe_load((EXAMPLES / "solar" / "study.yaml").read_text(encoding="utf-8"))
    config.update(title=f"Title {text}", description=f"Description {text}", currency="E$R")
    (folder / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    # One segment value, the hostile one: a --by segment batch makes one run of it.
    write_study_data(folder, n=150, customers=400, prospects=100, segment_names=(f"Seg {text}",) * 2)
    return model


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    _need("chromium")
    trap = _Trap()
    base = tmp_path_factory.mktemp("hostile")
    model = hostile_study(base / "study", trap.url)
    out = base / "out"
    try:
        results = run_report([base / "study"], out, jobs=2, by="segment", pdf=True)
        yield out, results, model, trap
    finally:
        trap.close()


def test_hostile_study_runs_and_prints(hostile):
    out, results, _, trap = hostile
    assert [r.status for r in results] == ["ok", "ok"], [r.errors for r in results]  # all customers, the segment
    for r in results:  # six notebooks and the executive summary, each printed
        assert len(r.notebooks) == 7 and all(nb.get("pdf") for nb in r.notebooks)
    assert (out / "segments.pdf").is_file()
    assert trap.hits == []  # printing to PDF fetched nothing


def test_hostile_report_in_a_browser_fetches_nothing_runs_nothing_and_links_stay_inside(hostile):
    """Every page opened in Chromium: no request leaves the report folder, every link clicked runs
    no script and leads to a page of the report, and the hostile text reads as typed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    out, results, _, trap = hostile
    inside = out.resolve().as_uri() + "/"
    pages = [out / "index.html", out / "segments.html"] + sorted((out / results[-1].folder).glob("*.html"))
    assert len(pages) == 9  # the index, the segments side by side, six notebooks and the executive summary
    outside, ran, left, texts = [], [], [], {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_need("chromium"), args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            # Any host, or a file outside the report. (chrome:// and chrome-extension:// are Chromium's own
            # PDF viewer, opening a report's PDF link; data: is an embedded image.)
            tab.on("request", lambda r: outside.append(r.url)
                   if r.url.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))
                   or (r.url.startswith("file:") and not r.url.startswith(inside)) else None)
            for page in pages:
                tab.goto(page.resolve().as_uri())
                texts[page.name] = " ".join(tab.inner_text("body").split())
                count = tab.locator("a[href]").count()
                for i in range(count):
                    if tab.url.split("#")[0] != page.resolve().as_uri():
                        tab.goto(page.resolve().as_uri())
                    link = tab.locator("a[href]").nth(i)
                    if link.is_visible():
                        link.click(timeout=10_000)
                    else:  # a heading's anchor link shows only on hover: activate it as a script would
                        link.evaluate("a => a.click()")
                    tab.wait_for_load_state()
                    if tab.evaluate("typeof window.__pwned") != "undefined":
                        ran.append((page.name, i))
                    if not tab.url.startswith(inside):
                        left.append((page.name, tab.url))
                if tab.evaluate("typeof window.__pwned") != "undefined":
                    ran.append((page.name, "load"))
        finally:
            browser.close()
    assert outside == [] and trap.hits == []
    assert ran == [] and left == []
    typed = " ".join(hostile_text(trap.url).split())
    for name, text in texts.items():
        if name != "index.html":
            assert f"Title {typed}" in text, name  # the title, as the client typed it
    assert texts["01_journey_model.html"].count(typed) >= 3  # title, description, names in the gaps' reading
    assert any(f"Seg {typed}" in text for text in texts.values())  # the segment value
    assert "E$R" in texts["04_lifetime_value.html"]  # the currency


def test_pdf_and_screenshot_reach_no_host(tmp_path):
    """Chromium prints with the network off: a page that would fetch (here, without the report's CSP) fetches nothing."""
    from cem.reporting.browser import print_pdf, screenshot

    _need("chromium")
    trap = _Trap()
    page = tmp_path / "page.html"
    page.write_text(f'<html><body><h1>offline</h1><img src="{trap.url}/img.png">'
                    f'<img src="http://localhost:{trap.url.rsplit(":", 1)[1]}/lh.png"><img src="http://example.org/e.png">'
                    f'<link rel="stylesheet" href="{trap.url}/s.css">'
                    f'<style>body {{ background: url({trap.url}/bg.png) }}</style></body></html>', encoding="utf-8")
    try:
        assert print_pdf(page, tmp_path / "page.pdf").read_bytes().startswith(b"%PDF")
        assert screenshot(page, tmp_path / "page.png").stat().st_size > 1000
    finally:
        trap.close()
    assert trap.hits == []
