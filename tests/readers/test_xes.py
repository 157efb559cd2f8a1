"""XES event logs read (cem.readers.xes): broken, hostile and oversized files refused plainly; the
attributes cem reads kept, the others capped."""
import pytest

from cem import InputError
from cem.readers import read_xes
from conftest import HELPDESK


BROKEN = {
    "truncated.xes.gz": lambda: (HELPDESK / "events.xes.gz").read_bytes()[:5000],
    "malformed.xes": lambda: b"<log><trace><event><string key='concept:name' value='x'></event></trace></log>",
    "entities.xes": lambda: (b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaaaaaaaa">'
                             b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><log>&b;</log>'),
    "external.xes": lambda: (b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                             b'<log><trace><event><string key="concept:name" value="&x;"/></event></trace></log>'),
    "empty.xes": lambda: b"<log></log>",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_xes_files_are_refused_plainly(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BROKEN[name]())
    with pytest.raises(InputError) as info:
        read_xes(path)
    (line,) = [str(p) for p in info.value.problems]
    assert line.startswith(str(path))
    assert any(word in line for word in ("truncated", "not well-formed", "DTD", "no events"))


# Hardening, round two: XES limits.

def xes_event(extra=""):
    return ('<event><string key="concept:name" value="S1"/><date key="time:timestamp" '
            f'value="2024-01-01T10:00:00"/>{extra}</event>')


def test_xes_keeps_the_attributes_cem_reads_and_caps_the_others(tmp_path):
    from cem.readers.xes import MAX_EXTRA_KEYS

    events = "".join(xes_event(f'<string key="k{i}" value="v"/><int key="rating" value="4"/>') for i in range(400))
    p = tmp_path / "log.xes"
    p.write_text(f'<log><trace><string key="concept:name" value="c1"/>{events}</trace></log>')
    table, warnings = read_xes(p, keep=["k399"])
    assert {"case:concept:name", "concept:name", "time:timestamp", "rating", "k0", "k399"} <= set(table.columns)
    assert len(table.columns) == 4 + MAX_EXTRA_KEYS + 1
    (warning,) = warnings
    assert f"{400 - MAX_EXTRA_KEYS - 1} more" in warning.message


def test_xes_values_over_the_cap(tmp_path):
    big = "x" * 20_000
    p = tmp_path / "log.xes"
    note = xes_event(f'<string key="note" value="{big}"/>')
    p.write_text(f'<log><trace><string key="concept:name" value="c1"/>{note}</trace></log>')
    table, warnings = read_xes(p)
    assert "note" not in table.columns and "longer than 10,000" in warnings[0].message
    p.write_text(f'<log><trace><string key="concept:name" value="{big}"/>{xes_event()}</trace></log>')
    with pytest.raises(InputError, match="'case:concept:name' holds 20,000 characters"):
        read_xes(p)


def test_a_huge_comment_in_a_gzip_stops_at_the_item_cap(tmp_path):
    import gzip
    import time

    p = tmp_path / "events.xes.gz"
    with gzip.open(p, "wb") as fh:
        fh.write(b"<log><!-- ")
        for _ in range(64):
            fh.write(b"a" * (1 << 20))
        fh.write(b" -->" + f'<trace><string key="concept:name" value="c"/>{xes_event()}</trace></log>'.encode())
    start = time.perf_counter()
    with pytest.raises(InputError, match="one XML item .* of more than 1 MiB"):
        read_xes(p)
    assert time.perf_counter() - start < 5
