"""The methods report: cem's models on published data, kept apart from client reports (#15)."""
from cem.cli import main
from cem.reporting import RunResult
from cem.reporting.index import render_index
from cem.reporting.methods import methods_notebook


def test_the_methods_notebook_ships_with_cem():
    assert methods_notebook().is_file()


def test_missing_published_data_is_a_clear_error_exit_2(tmp_path, capsys):
    assert main(["methods", "--out", str(tmp_path / "m"), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "published data sets" in err and "CDNOW_sample.txt" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()  # nothing written


def test_the_index_links_the_methods_report_apart_from_the_runs():
    runs = [RunResult(run="solar", study="s")]
    assert 'href="methods/real_data.html"' in render_index(runs, methods=True)
    assert "methods/real_data.html" not in render_index(runs)
