"""Restricted item sets: parsing untrusted files, encryption at rest, who may open them."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from clearinghouse.errors import Forbidden
from clearinghouse.evals.errors import DuplicateItemSet, InvalidItemSet
from clearinghouse.evals.models import RestrictedItemSet
from clearinghouse.evals.restricted import (
    CANARY,
    list_item_sets,
    load_item_set,
    parse_items,
    read_items,
)

from .conftest import Bench

ITEM = {"id": "x1", "input": "SECRET-QUESTION-one", "target": "SECRET-ANSWER-one"}


def test_json_and_jsonl_give_the_same_items_each_with_the_canary() -> None:
    items = [ITEM, {**ITEM, "id": 2, "choices": ["a", "b"], "domain": "ctf", "group": "web"}]
    as_json = parse_items(orjson.dumps(items))
    as_lines = parse_items(b"\n".join(orjson.dumps(i) for i in items) + b"\n\n")
    assert as_json == as_lines
    assert [i["id"] for i in as_json] == ["x1", "2"]
    assert all(i["canary"] == CANARY for i in as_json)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[", "not valid JSON"),
        (b"{}\n{", "line 2: not valid JSON"),
        (b"[]", "holds no items"),
        (orjson.dumps([{"id": "a", "input": "q"}]), r"\$\[0\]: \$.target: a required"),
        (orjson.dumps([{**ITEM, "extra": 1}]), "unknown property"),
        (orjson.dumps([ITEM, ITEM]), r"\$\[1\]: \$.id: the id repeats"),
        (orjson.dumps([{**ITEM, "canary": "other"}]), "differs from this instance"),
        (orjson.dumps([{**ITEM, "domain": "Not A Slug"}]), r"\$.domain: does not match"),
    ],
)
def test_a_bad_item_file_is_refused_naming_the_place_never_the_text(
    data: bytes, message: str
) -> None:
    with pytest.raises(InvalidItemSet, match=message) as caught:
        parse_items(data, source="items.json")
    assert "SECRET" not in str(caught.value)
    assert str(caught.value).startswith("items.json")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_items_or_a_clear_refusal(data: bytes) -> None:
    try:
        items = parse_items(data)
    except InvalidItemSet:
        return
    assert items and all(i["canary"] == CANARY for i in items)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"input": st.text(min_size=1, max_size=50), "target": st.text(max_size=20)}
        ),
        min_size=1,
        max_size=10,
    )
)
def test_valid_items_round_trip(raw: list[dict[str, str]]) -> None:
    items = [{"id": f"i{n}", **item} for n, item in enumerate(raw)]
    parsed = parse_items(orjson.dumps(items))
    assert [{k: v for k, v in p.items() if k != "canary"} for p in parsed] == items


def test_a_set_is_stored_encrypted_and_opened_for_reviewers_only(bench: Bench) -> None:
    key = bench.settings.encryption_key
    with bench.db.session() as session:
        with pytest.raises(Forbidden):
            load_item_set(
                session,
                bench.principal("reviewer"),
                name="s",
                data=orjson.dumps([ITEM]),
                source="s.json",
                now=bench.clock.now(),
                encryption_key=key,
            )
        row = load_item_set(
            session,
            bench.principal("cli"),
            name="zero-days",
            data=orjson.dumps([ITEM]),
            source="s.json",
            now=bench.clock.now(),
            encryption_key=key,
        )
        assert b"SECRET" not in row.items_ciphertext and row.item_count == 1
        with pytest.raises(DuplicateItemSet):
            load_item_set(
                session,
                bench.principal("cli"),
                name="zero-days",
                data=orjson.dumps([ITEM]),
                source="s.json",
                now=bench.clock.now(),
                encryption_key=key,
            )
    with bench.db.read_session() as session:
        stored = session.scalar(select(RestrictedItemSet))
        assert stored is not None and b"SECRET" not in stored.items_ciphertext
        _, items = read_items(session, bench.principal("reviewer"), "zero-days", encryption_key=key)
        assert items[0]["input"] == "SECRET-QUESTION-one"
        assert [s.name for s in list_item_sets(session, bench.principal("reviewer"))] == [
            "zero-days"
        ]
        for role in ("developer", "partner"):
            with pytest.raises(Forbidden):
                read_items(session, bench.principal(role), "zero-days", encryption_key=key)
            with pytest.raises(Forbidden):
                list_item_sets(session, bench.principal(role))
