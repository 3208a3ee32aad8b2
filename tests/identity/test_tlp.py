"""TLP labels: the TLP 2.0 names, read case-insensitively, with TLP 1.0's WHITE as CLEAR."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.errors import ClearinghouseError
from clearinghouse.identity import Tlp
from clearinghouse.identity.errors import UnknownTlpLabel


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("CLEAR", Tlp.CLEAR),
        ("clear", Tlp.CLEAR),
        ("WHITE", Tlp.CLEAR),
        ("white", Tlp.CLEAR),
        ("TLP:WHITE", Tlp.CLEAR),
        ("Green", Tlp.GREEN),
        ("amber", Tlp.AMBER),
        ("amber+strict", Tlp.AMBER_STRICT),
        ("AMBER+STRICT", Tlp.AMBER_STRICT),
        ("TLP:AMBER+STRICT", Tlp.AMBER_STRICT),
        ("  tlp:red ", Tlp.RED),
    ],
)
def test_known_spellings(text: str, label: Tlp) -> None:
    assert Tlp.parse(text) is label


def test_values_are_the_tlp_2_names() -> None:
    assert [label.value for label in Tlp] == ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]


@pytest.mark.parametrize("text", ["", "PURPLE", "AMBER STRICT", "AMBER+", "TLP:", "REDD"])
def test_unknown_labels_raise_a_clear_error(text: str) -> None:
    with pytest.raises(UnknownTlpLabel, match="unknown TLP label"):
        Tlp.parse(text)


@given(st.sampled_from(list(Tlp)), st.data())
def test_any_casing_of_a_label_parses_to_it(label: Tlp, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(label), max_size=len(label)))
    text = "".join(c.lower() if flip else c for c, flip in zip(label.value, flips, strict=True))
    assert Tlp.parse(text) is label
    assert Tlp.parse(f"TLP:{text}") is label


@given(st.text(max_size=20))
def test_any_text_parses_or_raises_the_area_error(text: str) -> None:
    try:
        label = Tlp.parse(text)
    except UnknownTlpLabel as exc:
        assert isinstance(exc, ClearinghouseError)
        return
    assert label in Tlp
