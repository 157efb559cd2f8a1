"""Model files (cem.readers.model): each class of validation error, on a small broken model, with the exact
place named; the model file found in a folder."""
import pytest

from cem import InputError, load_model
from cem.readers import find_model_file
from conftest import MINI


def problems_of(path):
    with pytest.raises(InputError) as info:
        load_model(path)
    return [str(p) for p in info.value.problems]


def broken(write_model, old, new):
    assert old in MINI, old
    return write_model(MINI.replace(old, new, 1))


def test_valid_model_loads(mini):
    G = load_model(mini)
    assert G.number_of_nodes() == 12


def test_malformed_yaml_names_the_line(write_model):
    path = write_model("jobs:\n  - {id: J, name: [x\nsteps: []\n")
    (line,) = problems_of(path)
    assert line.startswith(f"{path}:3: malformed YAML:") and "starts at line 2" in line


def test_unknown_vocabulary_values_with_suggestions(write_model):
    path = broken(write_model, "stage: purchase}", "stage: purchse}")
    path = write_model(path.read_text().replace("channel: web", "channel: webb")
                       .replace("dimension: functional", "dimension: emotionl")
                       .replace("type: provider", "type: provder"))
    lines = problems_of(path)
    stage = next(l for l in lines if "stage" in l)
    assert stage.startswith(f"{path}:12: steps[S1].stage: stage 'purchse' is not one of awareness, search,")
    assert stage.endswith("did you mean 'purchase'?")
    assert any("entities[shop].type: type 'provder'" in l and "'provider'" in l for l in lines)
    assert any("touchpoints[T1].channel: channel 'webb'" in l and "did you mean 'web'?" in l for l in lines)
    assert any("needs[N1].dimension: dimension 'emotionl'" in l and "did you mean 'emotional'?" in l for l in lines)
    assert len(lines) == 4


def test_unknown_section_field_and_relation(write_model):
    path = write_model(MINI.replace("touchpoints:", "touchpoint:").replace("relation: supports", "relation: suports")
                       .replace("statement:", "statment:"))
    lines = problems_of(path)
    assert any(":15: touchpoint: unknown section 'touchpoint'" in l and "'touchpoints'" in l for l in lines)
    assert any("needs[N1].statment: unknown field 'statment'; did you mean 'statement'?" in l for l in lines)
    assert any("needs[N1].statement: statement is required" in l for l in lines)
    assert any("links[1].relation: relation 'suports'" in l and "did you mean 'supports'?" in l for l in lines)


def test_missing_required_fields_and_wrong_types(write_model):
    path = write_model(MINI.replace("name: Book a repair, ", "").replace("position: 2", "position: second")
                       .replace("cost: 0.5", "cost: -3").replace("strength: 0.8", "strength: 4"))
    lines = problems_of(path)
    assert any(":12: steps[S1].name: name is required for every step" in l for l in lines)
    assert any(":13: steps[S2].position: position must be a whole number; got 'second'" in l for l in lines)
    assert any("touchpoints[T1].cost: cost must not be negative" in l for l in lines)
    assert any("links[2].strength: strength must be a number from 0 to 1; got 4" in l for l in lines)


def test_duplicate_ids_across_kinds(write_model):
    path = broken(write_model, "{id: R1,", "{id: T1,")
    (line,) = problems_of(path)
    assert "resources[T1].id: duplicate id 'T1': already used by the touchpoint at 16: touchpoints[T1]" in line


def test_references_to_missing_ids_and_wrong_kinds(write_model):
    path = write_model(MINI.replace("step: S1, owner: mech", "step: S9, owner: hh")
                       .replace("from: C1, to: S2", "from: C1, to: S3"))
    lines = problems_of(path)
    assert any(":16: touchpoints[T1].step: step 'S9' does not exist" in l for l in lines)
    assert any("touchpoints[T1].owner: 'hh' is a entity; owner must name a actor" in l for l in lines)
    assert any("links[1].to: 'S3' is not an id in the model" in l for l in lines)


def test_relation_between_wrong_kinds(write_model):
    path = broken(write_model, "{relation: performs, from: rider, to: S1}", "{relation: performs, from: T1, to: S1}")
    (line,) = problems_of(path)
    assert "links[0]: performs links actor -> step" in line and "got touchpoint 'T1' -> step 'S1'" in line


def test_supports_must_go_from_company_to_customer(write_model):
    path = broken(write_model, "{relation: supports, from: C1, to: S2}", "{relation: supports, from: S2, to: C1}")
    (line,) = problems_of(path)
    assert "supports goes from a company or partner step to a customer step" in line


def test_steps_of_a_job_not_connected_by_next(write_model):
    # S1's explicit next to itself replaces its implicit successor: S2 is cut off.
    path = write_model(MINI + "  - {relation: next, from: S1, to: S1}\n")
    (line,) = problems_of(path)
    assert ":13: steps[S2]: step 'S2' is not connected by 'next' to the other steps of job 'J'" in line


def test_duplicate_positions(write_model):
    path = broken(write_model, "position: 2", "position: 1")
    (line,) = problems_of(path)
    assert "steps[S2].position: position 1 is already taken by step 'S1' in job 'J'" in line


def test_all_problems_reported_at_once_in_file_order(write_model):
    path = write_model(MINI.replace("stage: purchase", "stage: x").replace("channel: web", "channel: y")
                       .replace("type: asset", "type: z"))
    lines = problems_of(path)
    assert len(lines) == 3
    assert [int(l.split(":")[1]) for l in lines] == sorted(int(l.split(":")[1]) for l in lines)


def test_customer_job_required(write_model):
    path = write_model("jobs:\n  - {id: K, name: Sell, performer: company}\n")
    assert any("no job has performer 'customer'" in l for l in problems_of(path))


def test_need_must_be_attached(write_model):
    path = broken(write_model, "step: S1, actor: rider, ", "")
    assert any("needs[N1]: a need must say where it arises" in l for l in problems_of(path))


def test_not_a_mapping(write_model):
    (line,) = problems_of(write_model("- just\n- a list\n"))
    assert "expected a mapping with sections" in line


def test_yaml_alias_bomb_refused(write_model):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    (line,) = problems_of(write_model(bomb))
    assert "through YAML aliases" in line


# --- Hardening, round two: numbers no machine holds, hostile YAML, bounded suggestions

from cem.readers.model import MAX_SUGGESTIONS  # noqa: E402


@pytest.mark.parametrize("old, new, says", [
    ("position: 2", "position: 1" + "0" * 5000, "13: steps[1].position: 1000000000000000000000"),
    ("cost: 0.5", "cost: 1" + "0" * 307 + "1", "is not a plausible number (309 digits; past 1e308)"),
    ("cost: 0.5", "cost: -0x" + "f" * 300, "is not a plausible number"),
    ("position: 2", "position: '" + "9" * 5000 + "'", "steps[S2].position: position is not a plausible number (5,000"),
    ("position: 2", "position: '" + "9" * 31 + "'", "position is not a plausible number (31 digits; at most 30)"),
])
def test_numbers_no_machine_holds_are_located_errors(write_model, old, new, says):
    lines = problems_of(broken(write_model, old, new))
    assert len(lines) == 1 and says in lines[0], lines
    assert len(lines[0]) < 400


def test_large_but_plausible_numbers_are_still_read(write_model):
    # 300 digits is implausible as a cost, but it is a number: the usual range error, not a crash.
    lines = problems_of(broken(write_model, "cost: 0.5", "cost: 1" + "0" * 300))
    assert len(lines) == 1 and "cost 1e+300 is not plausible; at most 1,000,000,000" in lines[0]


@pytest.mark.parametrize("text, says", [
    ("jobs: &j [*j]\n", "2:" if False else "(a cycle)"),
    ("jobs: *nowhere\n", "names no anchor"),
    ("jobs: []\n---\njobs: []\n", "more than one YAML document"),
    ("jobs: !!omap [{a: 1}]\n", "the YAML tag tag:yaml.org,2002:omap is not supported"),
    ("? {a: 1}\n: x\n", "a mapping key must be text or a number"),
    ("jobs:\n" + "  " * 0 + "- " * 40 + "x\n", "YAML nested too deeply: more than 32 levels"),
    ("jobs: " + "[" * 200_000 + "]" * 200_000 + "\n", "nested too deeply"),
    ("jobs: [<<]\n", "<< is a merge key"),
    ("jobs:\n  - {<<: 3, id: J}\n", "a << merge key takes a mapping or a list of mappings"),
    ("jobs:\n  - {id: J, description: 2024-02-30}\n", "2: jobs[0].description: '2024-02-30' cannot be read as a date"),
    ("jobs: !!int many\n", "'many' cannot be read as a whole number"),
])
def test_hostile_yaml_is_refused_where_it_stands(write_model, text, says):
    lines = problems_of(write_model(text))
    assert len(lines) == 1 and says in lines[0], lines


def test_merge_keys_work_as_in_the_safe_loader(write_model):
    G = load_model(broken(write_model, "  - {id: S2, job: J, name: Ride the bike again, position: 2, stage: use}",
                          "  - &base {id: S2, job: J, name: Ride the bike again, position: 2, stage: use}\n"
                          "  - {<<: *base, id: S3, position: 3, name: Ride it again}"))
    assert G.nodes["S3"]["stage"] == "use" and G.nodes["S3"]["job"] == "J" and G.nodes["S3"]["name"] == "Ride it again"


def test_aliases_count_only_what_they_add(write_model):
    # 900 rows written out plus a few aliases: far from the limit, whatever the length of the file.
    rows = "".join(f"  - {{id: e{i}, name: Entity {i}, type: partner}}\n" for i in range(900))
    text = MINI.replace("entities:\n", "entities:\n" + rows) + "extra_a: &a [1, 2, 3]\n"
    lines = problems_of(write_model(text + "extra_b: [*a, *a]\n"))
    assert len(lines) == 2 and all("unknown section" in line for line in lines)


def test_ids_in_nfc_and_nfd_are_one_id(write_model):
    G = load_model(write_model(MINI.replace("{id: S2,", "{id: S\u00e9,").replace("to: S2}", "to: Se\u0301}")))
    assert "S\u00e9" in G and "Se\u0301" not in G


def test_suggestions_stop_after_the_first_ones(write_model):
    links = "".join(f"  - {{relation: performs, from: ridr{i}, to: S1}}\n" for i in range(MAX_SUGGESTIONS + 50))
    with pytest.raises(InputError) as info:
        load_model(write_model(MINI + links))
    # Every bad reference is counted (20 printed, the rest summed up); only the first get a hint.
    assert "... and 130 more like this" in str(info.value)
    assert str(info.value).count("did you mean") == 20


def test_find_model_file(tmp_path):
    with pytest.raises(InputError, match="holds no model"):
        find_model_file(tmp_path)
    (tmp_path / "model.yml").write_text(MINI)
    assert find_model_file(tmp_path).name == "model.yml"
