"""cem diff and the Mermaid export (workshop tools)."""
import subprocess
import sys

from cem import load_model
from cem.diff import diff_models, diff_summary
from cem.convert import to_mermaid
from conftest import EXAMPLES, MINI


def test_diff_names_every_kind_of_change(write_model, tmp_path):
    A = load_model(write_model(MINI))
    changed = (MINI.replace("name: Book a repair", "name: Book a repair online")        # node attribute
               .replace("{id: R1,", "{id: R2,")                                          # node removed + added
               .replace("{relation: addresses, from: T1, to: N1, strength: 0.8}",
                        "{relation: addresses, from: T1, to: N1, strength: 0.5}")        # link attribute
               .replace("  - {relation: supports, from: C1, to: S2}\n", ""))            # link removed
    B = load_model(write_model(changed, "b.yaml"))
    d = diff_models(A, B)
    rows = set(map(tuple, d[["change", "what", "id", "attribute"]].fillna("").values.tolist()))
    assert ("changed", "node", "S1", "name") in rows
    assert ("added", "node", "R2", "") in rows and ("removed", "node", "R1", "") in rows
    assert ("changed", "link", "addresses: T1 -> N1", "strength") in rows
    assert ("removed", "link", "supports: C1 -> S2", "") in rows
    assert ("added", "link", "requires: C1 -> R2", "") in rows
    assert diff_summary(d) == "nodes: 1 added, 1 removed, 1 changed; links: 2 added, 3 removed, 1 changed"
    assert diff_summary(diff_models(A, A)) == "no differences"


def test_cem_diff_command(write_model):
    a = write_model(MINI)
    b = write_model(MINI.replace("stage: use}", "stage: maintain}", 1), "b.yaml")
    r = subprocess.run([sys.executable, "-m", "cem.cli", "diff", str(a), str(b)], capture_output=True, text=True)
    assert r.returncode == 0 and "maintain" in r.stdout and r.stdout.strip().endswith(
        "nodes: 0 added, 0 removed, 1 changed")
    r = subprocess.run([sys.executable, "-m", "cem.cli", "diff", str(a), str(a.parent / "nope.yaml")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


def test_mermaid_export(tmp_path):
    G = load_model(EXAMPLES / "payroll")
    text = to_mermaid(G)
    assert text.startswith("flowchart LR")
    assert text.count("subgraph") == len({G.nodes[s]["stage"] for s in G if G.nodes[s].get("kind") == "step"
                                          and G.nodes[G.nodes[s]["job"]]["performer"] == "customer"})
    assert "P_aware --> P_search" in text and "V_demo -.-> P_evaluate" in text
    r = subprocess.run([sys.executable, "-m", "cem.cli", "export", str(EXAMPLES / "payroll"), str(tmp_path / "p.md")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / "p.md").read_text().startswith("```mermaid\nflowchart LR")
