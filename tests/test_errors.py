"""Problems stay one short line each, and a flood of one kind is counted, not printed."""
import time

from cem.errors import MAX_ECHO, MAX_MESSAGE, MAX_PER_KIND, InputError, Problem, cap_problems


def test_a_long_quoted_value_is_cut_with_an_ellipsis_and_the_explanation_kept():
    p = Problem("survey.csv", "4", f"need_id '{'x' * 5000}' is not a need of the model; did you mean 'N1'?")
    text = str(p)
    assert "x" * (MAX_ECHO - 1) + "…'" in text and "x" * MAX_ECHO not in text
    assert text.endswith("is not a need of the model; did you mean 'N1'?")


def test_a_value_of_hundreds_of_megabytes_is_cut_quickly():
    value = "y" * 300_000_000
    start = time.perf_counter()
    p = Problem("events.csv", "2", f"step '{value}' is not a step of the model")
    assert time.perf_counter() - start < 5
    assert len(str(p)) < 300 and str(p).endswith("is not a step of the model")
    del value


def test_unquoted_runs_locations_and_whole_messages_are_bounded():
    p = Problem("m.yaml", "3: steps[" + "S" * 1000 + "]", "got " + "z" * 1000 + " " + "word " * 1000)
    assert len(p.location) <= 200 and len(p.message) <= MAX_MESSAGE
    assert "z" * 200 not in p.message


def test_apostrophes_in_words_do_not_open_a_quote():
    message = "the customer's job 'J' has no step; " + "add one " * 12
    assert Problem("m.yaml", "", message).message == message


def test_line_breaks_and_control_characters_cannot_start_a_new_line():
    p = Problem("m.yaml", "2\n3", "stage 'use\nhorizon: 1\r' is unknown\x1b[31m")
    assert "\n" not in str(p) and "\r" not in str(p) and "\x1b" not in str(p)
    assert "use\\nhorizon" in str(p)


def test_twenty_of_each_kind_then_a_count():
    problems = [Problem("s.csv", str(i), f"need_id 'N{i}' is not a need of the model") for i in range(2, 502)]
    problems += [Problem("s.csv", "1", "no 'respondent_id' column")]
    err = InputError(problems)
    assert len(err.problems) == MAX_PER_KIND + 2
    assert str(err.problems[MAX_PER_KIND]) == "s.csv: ... and 480 more like this (need_id '…' is not a need of the model)"
    assert str(err.problems[-1]) == "s.csv:1: no 'respondent_id' column"


def test_kinds_are_per_file_and_severity_and_warnings_are_capped_too():
    a = [Problem("a.csv", str(i), f"row {i} is odd") for i in range(30)]
    b = [Problem("b.csv", str(i), f"row {i} is odd") for i in range(30)]
    assert len(cap_problems(a + b)) == 2 * (MAX_PER_KIND + 1)
    w = [Problem("a.csv", str(i), f"row {i} is odd", "warning") for i in range(30)]
    err = InputError([], w)
    assert len(err.warnings) == MAX_PER_KIND + 1 and str(err.warnings[-1]).startswith("a.csv: warning: ... and 10")


def test_capping_is_linear():
    many = [Problem("s.csv", str(i), f"value '{i}' is bad") for i in range(200_000)]
    start = time.perf_counter()
    assert len(cap_problems(many)) == MAX_PER_KIND + 1
    assert time.perf_counter() - start < 5
