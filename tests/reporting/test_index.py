"""index.html, rendered from its Jinja2 template: autoescaped, under the report pages' CSP."""
import re
from pathlib import Path

import cem.reporting.index as index_module
from cem.reporting import RunResult, write_index
from cem.reporting.outdir import _is_cem_index, claim_folder
from cem.reporting.pages import CSP, csp_meta

HOSTILE = "<script>alert(1)</script>"


def _hostile_run():
    return RunResult(run="hostile", study=f"/studies/{HOSTILE}", title=HOSTILE, status="failed", folder="hostile",
                     notebooks=[{"notebook": "01_journey_model.ipynb", "html": "01_journey_model.html"}],
                     errors=["01_journey_model.ipynb: cell 3: <img src=x onerror=alert(2)>"],
                     metrics={"summary": {"fix_first": [{"name": "</td><script>alert(3)</script>"}]}})


def test_the_index_comes_from_the_template_shipped_with_the_package():
    template = Path(index_module.__file__).parent / "templates" / "report_index.html.j2"
    assert template.is_file()
    assert index_module._template().environment.autoescape is True
    assert index_module._template().filename == str(template)


def test_a_hostile_run_name_is_escaped_and_the_page_keeps_its_csp(tmp_path):
    page = write_index(tmp_path, [_hostile_run()]).read_text()
    assert "<script" not in page and "<img" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # the title and the study path
    assert "&lt;img src=x onerror=alert(2)&gt;" in page and "&lt;/td&gt;&lt;script&gt;alert(3)" in page
    head = page[:page.index("</head>")]
    # The report pages' policy, first in the head after the charset.
    assert re.search(r'<head><meta charset="utf-8">' + re.escape(csp_meta()), head)
    assert f'content="{CSP.replace(chr(39), "&#x27;")}"' in head
    assert '<a href="hostile/01_journey_model.html">01_journey_model</a>' in page
    assert '<a href="hostile/log.txt">log</a>' in page
    assert "1 run(s), 1 failed" in page and page.count("<tr class=") == 1
    # cem recognises its own index, so the next batch may replace it.
    assert _is_cem_index(tmp_path / "index.html")
    claim_folder(tmp_path)


def test_links_are_percent_encoded_and_many_errors_are_cut(tmp_path):
    run = RunResult(run="a b", study="s", status="failed", folder="a#b?c",
                    notebooks=[{"notebook": "x.ipynb", "html": "x.html", "pdf": "x.pdf"}],
                    errors=[f"error {i}" for i in range(25)])
    page = write_index(tmp_path, [run]).read_text()
    assert '<a href="a%23b%3Fc/x.html">x</a> <a class="pdf" href="a%23b%3Fc/x.pdf">pdf</a>' in page
    assert "<li>error 19</li>" in page and "error 20" not in page
    assert "<li>... and 5 more (see the log)</li>" in page
