from cem.schema import CHANNELS, RELATIONS, SECTIONS, STAGES, suggest


def test_stages_are_the_consumption_chain_in_order():
    assert STAGES[0] == "awareness" and STAGES[-1] == "next_cycle" and len(STAGES) == 12


def test_suggest_typos_synonyms_and_nothing():
    assert suggest("serch", STAGES) == "search"
    assert suggest("Get Help", STAGES) == "get_help"
    assert suggest("instal", STAGES) == "setup"  # a synonym, not a spelling
    assert suggest("telephone", CHANNELS) == "phone"
    assert suggest("qwxz", STAGES) is None


def test_every_reference_column_names_a_known_kind():
    kinds = {kind for kind, _ in SECTIONS.values()}
    for _, fields in SECTIONS.values():
        for f in fields:
            assert f.ref is None or f.ref in kinds
    for src, dst, _ in RELATIONS.values():
        assert set(src) <= kinds and set(dst) <= kinds


def test_suggester_finds_look_alikes_case_and_typos_among_many_ids():
    from cem.schema import Suggester

    ids = [f"S_step_{i:04d}" for i in range(2000)] + ["T_web"]
    hint = Suggester(ids)
    assert hint("s_step_0042") == "S_step_0042"  # case
    assert hint("S step 0042") == "S_step_0042"  # spaces
    assert hint("\u0405_step_0042") == "S_step_0042"  # a Cyrillic S
    assert hint("\uff33_step_0042") == "S_step_0042"  # a full-width S
    assert hint("S_stp_0042") == "S_step_0042"  # a typo
    assert hint("T_wbe") == "T_web"
    assert hint("qqqqqqqq") is None


def test_suggest_keeps_the_index_of_a_long_list():
    import time

    from cem.schema import _SUGGESTERS

    ids = [f"N_need_{i:05d}" for i in range(5000)]
    suggest("N_ned_00001", ids)
    assert tuple(ids) in _SUGGESTERS
    start = time.perf_counter()
    found = [suggest(f"N_ned_{i:05d}", ids) for i in range(500)]
    assert found[:2] == ["N_need_00000", "N_need_00001"]
    assert time.perf_counter() - start < 10  # bounded work per look-up (difflib over all: ~30 s)
