"""Reading and validating data grows linearly with its size, per input format.

Each reader runs on ``n`` rows and on ``10 n`` rows generated here (never committed); the time
ratio must stay below 25: about 10 for a linear path with noise, about 100 for a quadratic one.
These are complexity checks, not speed targets: ``n`` is small enough that ``10 n`` takes a
second or two.
"""

import pytest

from cem import load_model
from conftest import MAX_RATIO, MINI, growth



def ratio(make, read, n, tmp_path):
    return growth(make, read, n, tmp_path, "")


@pytest.fixture
def G(write_model):
    return load_model(write_model(MINI))


def folder(path):
    path.mkdir(parents=True, exist_ok=True)
    return path


def survey_csv(path, n):
    p = folder(path) / "survey.csv"
    rows = [f"r{i},N1,{1 + i % 5},{1 + (i * 7) % 5}" for i in range(n)]
    p.write_text("respondent_id,need_id,importance,satisfaction\n" + "\n".join(rows) + "\n")
    return p


def events_csv(path, n):
    p = folder(path) / "events.csv"
    rows = [f"c{i // 4},2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00,{'S1' if i % 2 else 'S2'},"
            f"{1 + i % 5}" for i in range(n)]
    p.write_text("customer_id,timestamp,step,rating\n" + "\n".join(rows) + "\n")
    return p


def events_xes(path, n):
    p = folder(path) / "events.xes"
    parts = ['<?xml version="1.0"?>\n<log>\n']
    for c in range(n // 4):
        parts.append(f'<trace><string key="concept:name" value="c{c}"/>')
        for k in range(4):
            parts.append(f'<event><string key="concept:name" value="S{1 + k % 2}"/><date key="time:timestamp" '
                         f'value="2024-01-{1 + k:02d}T10:00:00"/><string key="note{(c * 4 + k) % 50}" value="x"/>'
                         '</event>')
        parts.append("</trace>\n")
    parts.append("</log>\n")
    p.write_text("".join(parts))
    return p


def transactions_csv(path, n):
    p = folder(path) / "transactions.csv"
    rows = [f"c{i // 5},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{(i % 97) - 3}" for i in range(n)]
    p.write_text("customer_id,date,amount\n" + "\n".join(rows) + "\n")
    return p


def model_xlsx(path, n):
    from cem.convert import write_workbook

    steps = [{"id": f"S{i}", "job": "J", "name": f"Step {i}", "position": i + 1, "stage": "use"} for i in range(n)]
    needs = [{"id": f"N{i}", "step": f"S{i}", "actor": "A", "dimension": "functional",
              "statement": f"Minimize the time it takes to do thing {i}"} for i in range(n)]
    tables = {"model": {"name": "Scale"}, "jobs": [{"id": "J", "name": "Get it done", "performer": "customer"}],
              "entities": [{"id": "E", "name": "Household", "type": "customer"}],
              "actors": [{"id": "A", "name": "Owner", "entity": "E", "role": "job_executor"}],
              "steps": steps, "touchpoints": [], "needs": needs, "resources": [], "links": []}
    return write_workbook(path=folder(path) / "model.xlsx", tables=tables)


def test_survey_csv_is_linear(tmp_path, G):
    from cem.readers import read_survey

    r, a, b = ratio(survey_csv, lambda p: read_survey(p, G), 100_000, tmp_path)
    print(f"survey.csv: {a:.3f} s at n, {b:.3f} s at 10n ratio {r:.1f}")
    assert r < MAX_RATIO, f"survey.csv: {a:.3f} s at n, {b:.3f} s at 10n"


def test_events_csv_is_linear(tmp_path, G):
    from cem.readers import read_events

    r, a, b = ratio(events_csv, lambda p: read_events(p, G), 100_000, tmp_path)
    print(f"events.csv: {a:.3f} s at n, {b:.3f} s at 10n ratio {r:.1f}")
    assert r < MAX_RATIO, f"events.csv: {a:.3f} s at n, {b:.3f} s at 10n"


def test_events_xes_is_linear(tmp_path, G):
    from cem.readers import read_events

    r, a, b = ratio(events_xes, lambda p: read_events(p, G, {"activities": {"S1": "S1", "S2": "S2"}}), 8_000,
                    tmp_path)
    print(f"events.xes: {a:.3f} s at n, {b:.3f} s at 10n ratio {r:.1f}")
    assert r < MAX_RATIO, f"events.xes: {a:.3f} s at n, {b:.3f} s at 10n"


def test_transactions_csv_is_linear(tmp_path):
    from cem.clv import read_transactions

    r, a, b = ratio(transactions_csv, read_transactions, 100_000, tmp_path)
    print(f"transactions.csv: {a:.3f} s at n, {b:.3f} s at 10n ratio {r:.1f}")
    assert r < MAX_RATIO, f"transactions.csv: {a:.3f} s at n, {b:.3f} s at 10n"


def test_model_workbook_is_linear(tmp_path):
    r, a, b = ratio(model_xlsx, load_model, 500, tmp_path)
    print(f"model.xlsx: {a:.3f} s at n, {b:.3f} s at 10n ratio {r:.1f}")
    assert r < MAX_RATIO, f"model.xlsx: {a:.3f} s at n, {b:.3f} s at 10n"
