"""Reports as a client sees them: index.html rendered by Chromium, reports printed to PDF."""
import json
import os
import re
import shutil
import subprocess

import pytest

from cem.report import run_report
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

    from cem.browser import screenshot

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
    assert pdfs == [nb["notebook"].replace(".ipynb", ".pdf") for nb in result.notebooks]
    pdftotext = _need("pdftotext")
    for name in pdfs:
        data = (out / "payroll" / name).read_bytes()
        assert data.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page\b", data))
        assert pages >= 2, name
        text = subprocess.run([pdftotext, "-layout", str(out / "payroll" / name), "-"], capture_output=True,
                              text=True, timeout=60).stdout
        assert "import cem" not in text and "load_study(" not in text and "report.save" not in text, name
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
