"""Loading and validating a model grows linearly with its size, and so do its suggestions.

Each check runs on an input of size ``n`` and of size ``10 n``, generated here (never
committed); the time ratio must stay below 25: about 10 for a linear path with noise, about
100 for a quadratic one. These are complexity checks, not speed targets: ``n`` is small enough
that ``10 n`` takes a second or two. (Measured on the full sizes of the issue "Hardening,
round two": 50,000 valid links 26 s -> 1.7 s; a 7 MB plain model of 150,000 links, refused as
an alias bomb after 32 s, now valid in 3.9 s; 2,000 bad references to 5,000 ids 111 s -> 1.3 s.)
"""

import pytest

from cem import InputError, load_model
from cem.schema import Suggester
from conftest import MAX_RATIO, growth


HEAD = """\
model: {name: Big, currency: EUR}
jobs:
  - {id: J, name: Get a bike repaired, performer: customer}
entities:
  - {id: hh, name: Household, type: customer}
"""


def ratio(make, run, n, tmp_path):
    return growth(make, run, n, tmp_path, ".yaml")


def valid_model(path, links, steps=50):
    """A valid model of ``links`` performs links: links / steps actors, each in every step."""
    actors = links // steps
    parts = [HEAD, "steps:\n"]
    parts += [f"  - {{id: S{i:03d}, job: J, name: Step {i}, position: {i}, stage: use}}\n" for i in range(1, steps + 1)]
    parts.append("actors:\n")
    parts += [f"  - {{id: a{i}, name: Actor {i}, entity: hh}}\n" for i in range(actors)]
    parts.append("links:\n")
    parts += [f"  - {{relation: performs, from: a{i}, to: S{j:03d}}}\n" for i in range(actors) for j in range(1, steps + 1)]
    path.write_text("".join(parts), encoding="utf-8")
    return path


def bad_references(path, n):
    """``n`` actors and ``n`` links from misspelt actor ids: every link is a problem with a suggestion."""
    parts = [HEAD, "steps:\n  - {id: S1, job: J, name: Step, position: 1, stage: use}\n", "actors:\n"]
    parts += [f"  - {{id: actor_{i:05d}, name: Actor {i}, entity: hh}}\n" for i in range(n)]
    parts.append("links:\n")
    parts += [f"  - {{relation: performs, from: actr_{i:05d}x, to: S1}}\n" for i in range(n)]
    path.write_text("".join(parts), encoding="utf-8")
    return path


def test_a_valid_model_loads_in_linear_time(tmp_path):
    r, small, large = ratio(valid_model, load_model, 2_000, tmp_path)
    assert r < MAX_RATIO, (r, small, large)


def test_a_plain_long_model_is_no_alias_bomb(tmp_path):
    """Only what aliases add is counted: 60,000 links written out are read, not refused."""
    G = load_model(valid_model(tmp_path / "model.yaml", 60_000, steps=100))
    assert G.number_of_edges() > 60_000


def test_many_bad_references_are_reported_in_linear_time(tmp_path):
    def run(path):
        with pytest.raises(InputError) as info:
            load_model(path)
        assert "did you mean 'actor_00001'?" in str(info.value)

    r, small, large = ratio(bad_references, run, 300, tmp_path)
    assert r < MAX_RATIO, (r, small, large)


def test_suggestions_cost_the_same_for_any_number_of_choices(tmp_path):
    """The index itself, without validate's cap: n look-ups among n ids."""
    def make(path, n):
        return n

    def run(n):
        hint = Suggester([f"actor_{i:05d}" for i in range(n)])
        found = [hint(f"actr_{i:05d}x") for i in range(n)]
        assert found[7] == "actor_00007"

    r, small, large = ratio(make, run, 250, tmp_path)
    assert r < MAX_RATIO, (r, small, large)


def wide_model(path, n):
    """Every kind of node and link, ``n`` of each: steps of two jobs, touchpoints, needs, supports."""
    parts = ["model: {name: Wide}\njobs:\n  - {id: J, name: Get it, performer: customer}\n"
             "  - {id: K, name: Serve, performer: company}\nentities:\n  - {id: hh, name: H, type: customer}\n"
             "actors:\n  - {id: a, name: A, entity: hh}\nsteps:\n"]
    parts += [f"  - {{id: S{i}, job: J, name: Step {i}, position: {i}, stage: use}}\n" for i in range(1, n + 1)]
    parts += [f"  - {{id: C{i}, job: K, name: Step {i}, position: {i}, stage: use}}\n" for i in range(1, n + 1)]
    parts.append("touchpoints:\n")
    parts += [f"  - {{id: T{i}, name: T {i}, channel: web, step: S{i}, owner: a}}\n" for i in range(1, n + 1)]
    parts.append("needs:\n")
    parts += [f"  - {{id: N{i}, step: S{i}, actor: a, dimension: functional, statement: Minimize the time it takes "
              f"to do {i}}}\n" for i in range(1, n + 1)]
    parts.append("links:\n")
    parts += [f"  - {{relation: supports, from: C{i}, to: S{i}}}\n  - {{relation: addresses, from: T{i}, to: N{i}}}\n"
              for i in range(1, n + 1)]
    path.write_text("".join(parts), encoding="utf-8")
    return path


def test_a_model_of_every_kind_builds_its_graph_in_linear_time(tmp_path):
    r, small, large = ratio(wide_model, load_model, 300, tmp_path)
    assert r < MAX_RATIO, (r, small, large)
