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
