"""What a notebook writes beside its figures: metrics.json sections and spreadsheet-safe tables."""
import json

import numpy as np
import pandas as pd

from cem import metrics


def test_sections_merge_and_numpy_values_are_written_as_numbers(tmp_path):
    out = tmp_path / "run"  # not there yet: made on the first save
    metrics.save_metrics(out, "journey_model", {"steps": np.int64(14), "share": np.float64(0.25)})
    path = metrics.save_metrics(out, "needs", {"top": "N3", "scores": [np.int32(1), 2]})
    assert path == out / "metrics.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {"journey_model": {"steps": 14, "share": 0.25},
                                                            "needs": {"top": "N3", "scores": [1, 2]}}
    # A notebook run again replaces its own section only; non-ASCII text stays as written.
    metrics.save_metrics(out, "journey_model", {"steps": 15, "name": "Région"})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"journey_model": {"steps": 15, "name": "Région"}, "needs": {"top": "N3", "scores": [1, 2]}}
    assert "Région" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json"]  # no temporary file left


def test_a_table_is_written_under_a_safe_name_with_formulas_neutralised(tmp_path):
    table = pd.DataFrame({"step": ["S1", "=HYPERLINK(\"http://x\",\"y\")"], "score": [1.5, -2]},
                         index=pd.Index(["a", "+b"], name="id"))
    path = metrics.save_table(table, tmp_path, "../gaps by step", index=True)
    assert path == tmp_path / "tables" / "gaps_by_step.csv"
    assert path.read_text().splitlines() == ["id,step,score", "a,S1,1.5", "'+b,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-2.0"]
    path = metrics.save_table(table, tmp_path, "plain", index=False)
    assert path.read_text().splitlines()[0] == "step,score"


def test_journeys_metrics_on_a_hand_made_log():
    events = pd.DataFrame({"customer_id": ["a", "a", "b", "c"]})
    m = metrics.journeys_metrics(events, pd.DataFrame(index=range(4)), pd.DataFrame({"share": [0.6, 0.4]}),
                                 {"designed_share": 0.71234, "mean_fitness": 0.5}, pd.DataFrame({"days": [1.0, 2.0, 9.0]}),
                                 rows_left_out=3, unmapped=1)
    assert m == {"events": 4, "cases": 3, "dfg_edges": 4, "variants": 2, "top_variant_share": 0.6,
                 "designed_share": 0.7123, "mean_fitness": 0.5, "median_days": 2.0, "rows_left_out": 3,
                 "unmapped_events": 1}
