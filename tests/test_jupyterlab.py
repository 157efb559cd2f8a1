"""The workshop as it happens: JupyterLab in a real browser (Playwright driving Debian's Chromium)
opens a workshop notebook on a workbook made by `cem new`, runs all cells, and shows the journey
map with no error output."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("no chromium on this machine")
    return path


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free local port, serving a folder with a new study and a workshop notebook."""
    subprocess.run([sys.executable, "-m", "cem.cli", "new", str(tmp_path / "study")], check=True, capture_output=True)
    source = (ROOT / "cem" / "notebooks" / "workshop" / "2_actors_and_touchpoints.ipynb").read_text()
    (tmp_path / "workshop.ipynb").write_text(source.replace("../../examples/payroll", "study")
                                             .replace("../../../reports/workshop", "out"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "cem-test"
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--allow-root"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start")
        yield f"http://127.0.0.1:{port}/lab/tree/workshop.ipynb?token={token}", tmp_path
    finally:
        server.terminate()
        server.wait(20)


def test_workshop_notebook_runs_all_cells_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    url, folder = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_selector("text=Python (cem)", timeout=90_000)  # the venv's kernel, by name
            page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
            page.click("li.lm-Menu-item:has-text('Run All Cells')")
            page.wait_for_selector(".jp-OutputArea-output img", timeout=180_000)  # the journey map
            page.wait_for_selector("text=The model reads cleanly", timeout=60_000)
            deadline = time.time() + 60
            while time.time() < deadline and page.locator(".jp-InputArea-prompt:has-text('[*]')").count():
                time.sleep(0.5)  # wait for the last cells
            page.screenshot(path=str(folder / "jupyterlab.png"))
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
            assert errors == 0, "a cell printed an error"
            assert page.locator(".jp-InputArea-prompt:has-text('[*]')").count() == 0
        finally:
            browser.close()
    print(f"screenshot: {folder / 'jupyterlab.png'}")
