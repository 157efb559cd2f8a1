"""An installed wheel, not the source tree, runs a report from an empty folder.

Built from a copy of the tree (the repository gets no build/ or egg-info), installed without
dependencies into a fresh venv that borrows the test environment's third-party packages (a
.pth line: nothing downloaded, and cem itself comes only from the wheel), then run from an empty
folder outside the repository with a private HOME: ``cem new client --from solar`` and
``cem report client --out out``. The notebooks and the examples must come from the package.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

SKIP = shutil.ignore_patterns(".git", ".venv", ".venv-*", "reports", "test-output", "build", "dist", "*.egg-info",
                              "__pycache__", ".pytest_cache", ".hypothesis", "external")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    src = tmp_path_factory.mktemp("src") / "cem"
    shutil.copytree(ROOT, src, ignore=SKIP)
    dist = tmp_path_factory.mktemp("dist")
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                          "-w", str(dist), str(src)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    (found,) = dist.glob("cem-*.whl")
    return found


def test_the_wheel_holds_the_suite_and_the_examples(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cem/notebooks/00_summary.ipynb" in names and "cem/notebooks/workshop/4_prioritise.ipynb" in names
    assert "cem/examples/solar/model.yaml" in names and "cem/examples/payroll/events.csv" in names
    assert any(n.startswith("cem/reporting/templates/") for n in names)
    assert not any(n.startswith(("tests/", "benchmarks/", "data/")) for n in names)


def test_an_installed_wheel_starts_a_study_and_reports_it(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # Third-party packages from the test environment, after the venv's own: cem is the wheel's.
    # nbconvert's templates are data files it installs beside the venv: copied as pip would.
    (site / "_borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    shutil.copytree(Path(sys.prefix) / "share" / "jupyter" / "nbconvert", env_dir / "share" / "jupyter" / "nbconvert")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True, capture_output=True, timeout=300)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "home"), PATH=f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}",
               MPLBACKEND="Agg")
    where = subprocess.run([python, "-c", "import cem; print(cem.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(site)), where
    cem = str(env_dir / "bin" / "cem")
    new = subprocess.run([cem, "new", "client", "--from", "solar"], cwd=work, env=env, capture_output=True,
                         text=True, timeout=120)
    assert new.returncode == 0, new.stderr
    assert (work / "client" / "model.xlsx").is_file()
    report = subprocess.run([cem, "report", "client", "--out", "out"], cwd=work, env=env, capture_output=True,
                            text=True, timeout=900)
    assert report.returncode == 0, report.stdout[-2000:] + report.stderr[-3000:]
    pages = sorted(p.name for p in (work / "out" / "client").glob("*.html"))
    assert "00_summary.html" in pages and "01_journey_model.html" in pages, pages
    assert (work / "out" / "index.html").is_file()
    # Nothing was read from or written into the repository.
    executed = (work / "out" / "client" / "01_journey_model.ipynb").read_text()
    assert str(ROOT) not in executed
