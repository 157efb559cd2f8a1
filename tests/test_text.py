"""Small text rules (cem._text): Unicode normal form C, file lines named in messages, the yes/no rule."""
import math

import pandas as pd

from cem._text import NO, YES, file_lines, line_list, nfc, nfc_text, yes_no


def test_nfc_text_composes_and_leaves_ascii_as_it_is():
    assert nfc_text("Rene\u0301") == "Ren\u00e9"  # e + combining acute -> é
    assert nfc_text("Ren\u00e9") == "Ren\u00e9"
    assert nfc_text("\u212b") == "\u00c5"  # the angstrom sign is the letter Å in form C
    assert nfc_text("\u1100\u1161") == "\uac00"  # Hangul jamo composed into one syllable
    plain = "respondent_id"
    assert nfc_text(plain) is plain
    assert nfc_text("") == ""


def test_nfc_of_a_column_makes_one_id_of_two_spellings():
    values = pd.Series(["Rene\u0301", "Ren\u00e9", "r1", 7], index=[10, 11, 12, 13])
    out = nfc(values)
    assert out.tolist() == ["Ren\u00e9", "Ren\u00e9", "r1", "7"] and out.nunique() == 3
    assert out.index.tolist() == [10, 11, 12, 13]
    assert values.tolist() == ["Rene\u0301", "Ren\u00e9", "r1", 7]  # the column given is left as it was


def test_line_list_sorts_and_caps():
    assert line_list([9, 2, 3, 4, 5, 6, 7]) == "2,3,4,5,6 (+2 more)"
    assert line_list([5, 1, 3, 2, 4]) == "1,2,3,4,5"  # five: all of them, nothing more to say
    assert line_list(["12", 3]) == "3,12"  # numbers, not text: 3 before 12
    assert line_list([4, 8, 1], limit=2) == "1,4 (+1 more)"
    assert line_list([7]) == "7" and line_list([]) == ""


def test_file_lines_count_the_header_as_line_one():
    assert file_lines([0, 1, 7]) == "2,3,9"
    assert file_lines(pd.Index([10, 0])) == "2,12"
    assert file_lines(range(7)) == "2,3,4,5,6 (+2 more)"
    assert file_lines([3], limit=1) == "5" and file_lines([]) == ""


def test_yes_no_reads_flags_one_way():
    values = pd.Series(["Yes", "0", "TRUE", "", "maybe", " n ", "Y", "false", 1, 0, None, "no"], index=range(20, 32))
    out = yes_no(values)
    expected = [1, 0, 1, None, None, 0, 1, 0, 1, 0, None, 0]
    assert out.dtype == float and out.index.tolist() == list(range(20, 32))
    assert [None if math.isnan(v) else v for v in out] == expected
    assert YES == {"1", "yes", "y", "true"} and NO == {"0", "no", "n", "false"} and not YES & NO
