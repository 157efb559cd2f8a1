"""pyproject.toml and environment.yml list the same dependencies."""
import re
import tomllib

import yaml

from conftest import ROOT


def _name_spec(req):
    m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_spec(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_name_spec(d) for d in env["dependencies"] if isinstance(d, str))
    conda.pop("python"), conda.pop("pip")
    assert conda == wanted
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert pip == ["-e ."]


def test_no_forbidden_dependencies():
    text = (ROOT / "pyproject.toml").read_text().lower()
    for name in ("pm4py", "lifetimes", "scrapbook"):
        assert f'"{name}' not in text
