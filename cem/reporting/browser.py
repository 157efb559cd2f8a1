"""A headless Chromium, for printing reports to PDF and checking pages as a browser shows them.

nbconvert's ``webpdf`` exporter downloads its own browser, which a machine without internet
cannot do; the Debian ``chromium`` package prints just as well from the command line. It runs
with the network off (:data:`OFFLINE_FLAGS`): printing a report reaches no host. The
browser is found on the PATH (``chromium``, ``chromium-browser``, ``google-chrome``) or named by
the environment variable ``CEM_CHROMIUM``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import CemError

__all__ = ["OFFLINE_FLAGS", "chromium_command", "find_chromium", "print_pdf", "screenshot"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """The path of a Chromium-family browser.

    Raises
    ------
    CemError
        None is installed; the message says how to install one.
    """
    named = os.environ.get("CEM_CHROMIUM")
    if named:
        if shutil.which(named):
            return shutil.which(named)
        raise CemError(f"CEM_CHROMIUM names '{named}', which is not an executable")
    for name in _NAMES:
        if shutil.which(name):
            return shutil.which(name)
    raise CemError("--pdf needs a Chromium browser and none is installed: install it with "
                   "'apt-get install chromium' (Debian/Ubuntu) or set CEM_CHROMIUM to its path")


#: Chromium flags that cut it off from every host: a report prints (or renders) from its own files
#: only, so an image or font the page would fetch (a page from an older cem, a name that slipped
#: through) is never requested. Every request goes to a proxy on a closed local port (9, discard),
#: loopback included ("<-loopback>" removes Chromium's implicit bypass), and no name resolves.
#: file:// pages do not use the proxy, so the report itself loads.
OFFLINE_FLAGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    "--dns-prefetch-disable",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--metrics-recording-only",
    "--disable-features=NetworkPrediction,OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
)


def chromium_command(*args: str, profile: str, executable: str | None = None) -> list:
    """The command line of a headless, offline Chromium run (see :data:`OFFLINE_FLAGS`).

    Parameters
    ----------
    *args : str
        Chromium's task: ``--print-to-pdf=...``, ``--screenshot=...``, the page's URL last.
    profile : str
        A fresh user-data folder (nothing of the user's own profile is read).
    executable : str, optional
        The browser; :func:`find_chromium` when None.

    Examples
    --------
    >>> cmd = chromium_command("--screenshot=x.png", "file:///tmp/r.html", profile="/tmp/p", executable="chromium")
    >>> "--proxy-server=http://127.0.0.1:9" in cmd and cmd[0] == "chromium" and cmd[-1] == "file:///tmp/r.html"
    True
    """
    return [executable or find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-extensions", "--hide-scrollbars", *OFFLINE_FLAGS, f"--user-data-dir={profile}", *args]


def _end_with_parent():
    """In the browser's process before it starts: end when the process that started it ends (a report
    worker killed with its batch must not leave a browser behind)."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG


def _run(args, what, timeout):
    with tempfile.TemporaryDirectory(prefix="cem-chromium-") as profile:
        cmd = chromium_command(*args, profile=profile)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_end_with_parent if sys.platform.startswith("linux") else None)
    if done.returncode != 0:
        raise CemError(f"Chromium could not {what}: {done.stderr.strip().splitlines()[-1:] or done.returncode}")


def print_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = 120) -> Path:
    """Print an HTML file to a paginated PDF (page size and margins from the page's print styles, no header/footer).

    Returns
    -------
    pathlib.Path
        ``pdf_path``.
    """
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    _run(["--no-pdf-header-footer", "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
          f"--print-to-pdf={tmp.resolve()}", html_path.as_uri()], f"print {html_path.name}", timeout)
    if not tmp.exists() or tmp.stat().st_size == 0:
        raise CemError(f"Chromium wrote no PDF for {html_path.name}")
    os.replace(tmp, pdf_path)
    return pdf_path


def screenshot(html_path: str | Path, png_path: str | Path, *, width: int = 1280, height: int = 900,
               timeout: float = 120) -> Path:
    """Take a PNG screenshot of an HTML file as Chromium renders it."""
    html_path, png_path = Path(html_path).resolve(), Path(png_path)
    _run([f"--window-size={width},{height}", f"--screenshot={png_path.resolve()}", html_path.as_uri()],
         f"render {html_path.name}", timeout)
    if not png_path.exists():
        raise CemError(f"Chromium wrote no screenshot of {html_path.name}")
    return png_path
