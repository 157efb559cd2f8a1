"""Shared fixtures: small models written to temporary files, the example studies."""
from pathlib import Path
import textwrap

import matplotlib
import pytest

matplotlib.use("Agg")  # tests draw without a screen

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "cem" / "examples"

#: A small valid model: two customer steps, one company step, every kind present.
MINI = """\
model: {name: Mini, currency: EUR}
jobs:
  - {id: J, name: Get a bike repaired, performer: customer}
  - {id: K, name: Repair bikes, performer: company}
entities:
  - {id: hh, name: Household, type: customer}
  - {id: shop, name: Bike shop, type: provider}
actors:
  - {id: rider, name: Rider, entity: hh, role: job_executor}
  - {id: mech, name: Mechanic, entity: shop, role: frontline}
steps:
  - {id: S1, job: J, name: Book a repair, position: 1, stage: purchase}
  - {id: S2, job: J, name: Ride the bike again, position: 2, stage: use}
  - {id: C1, job: K, name: Repair the bike, position: 1, stage: use}
touchpoints:
  - {id: T1, name: Booking page, channel: web, step: S1, owner: mech, cost: 0.5}
needs:
  - {id: N1, step: S1, actor: rider, dimension: functional, statement: Minimize the time it takes to get a slot}
resources:
  - {id: R1, name: Spare parts, type: asset, step: C1, provided_by: shop}
links:
  - {relation: performs, from: rider, to: S1}
  - {relation: supports, from: C1, to: S2}
  - {relation: addresses, from: T1, to: N1, strength: 0.8}
"""


@pytest.fixture
def write_model(tmp_path):
    """Write YAML text (dedented) to a model file and return its path."""
    def write(text, name="model.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path
    return write


@pytest.fixture
def mini(write_model):
    return write_model(MINI)


#: Scaling checks (tests/test_scaling_*.py): ten times the input should take about ten times as long;
#: a linear path gives about 10 (plus noise on a shared machine), a quadratic one about 100.
MAX_RATIO = 25


def timed(fn, repeat):
    """The fastest of ``repeat`` runs: the least disturbed by other work on the machine."""
    import time

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def growth(make, run, n, folder, suffix=""):
    """``(t(10 n) / t(n), t(n), t(10 n))`` of ``run`` on inputs that ``make(path, size)`` writes."""
    small, large = make(folder / f"small{suffix}", n), make(folder / f"large{suffix}", 10 * n)
    run(small)  # imports and caches warmed before timing
    t_small, t_large = timed(lambda: run(small), 3), timed(lambda: run(large), 2)
    return t_large / t_small, t_small, t_large


#: The help desk event log (data/external/helpdesk): a real study, read by the journey and XES tests.
HELPDESK = ROOT / "data" / "external" / "helpdesk"


def events_by_hour(rows):
    """Events from (case, hour, step) rows."""
    import pandas as pd

    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "timestamp": [t0 + pd.Timedelta(hours=r[1]) for r in rows],
                         "step": [r[2] for r in rows]})
