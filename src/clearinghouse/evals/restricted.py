"""Restricted item sets: private benchmark items, encrypted at rest, opened only inside a run.

An operator loads a JSON array or JSON Lines file of items; each item is checked
against `ITEM_SCHEMA`, stamped with the instance's canary string (so that a copy that
turns up in a training corpus or a model's output can be recognised), and the whole
set is stored as one Fernet token with the key that encrypts model credentials
(review/secrets.py). `open_items` is called by the benchmark runner and by the
reviewers-only item view; no other code path decrypts a set, and no log line, audit
event or error message carries an item's text or the canary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.evals.errors import DuplicateItemSet, InvalidItemSet, UnknownItemSet
from clearinghouse.evals.models import RestrictedItemSet
from clearinghouse.evals.suites.restricted import CANARY  # the one canary of the instance
from clearinghouse.formats.errors import schema_error
from clearinghouse.identity.policy import EvalAction, require_eval
from clearinghouse.identity.principal import Principal
from clearinghouse.review.errors import InvalidEncryptionKey
from clearinghouse.review.secrets import credential_cipher

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ITEMS = 100_000
MAX_NAME = 200

ITEM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "input", "target"],
    "properties": {
        "id": {
            "oneOf": [
                {"type": "string", "minLength": 1, "maxLength": 200},
                {"type": "integer", "minimum": 0, "maximum": 2**53},
            ]
        },
        "input": {"type": "string", "minLength": 1, "maxLength": 200_000},
        "target": {
            "oneOf": [
                {"type": "string", "maxLength": 20_000},
                {
                    "type": "array",
                    "maxItems": 100,
                    "items": {"type": "string", "maxLength": 20_000},
                },
            ]
        },
        "choices": {
            "type": "array",
            "minItems": 2,
            "maxItems": 26,
            "items": {"type": "string", "maxLength": 20_000},
        },
        "domain": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,63}$"},
        "group": {"type": "string", "minLength": 1, "maxLength": 200},
        "canary": {"type": "string", "maxLength": 500},
    },
}
_VALIDATOR = jsonschema_rs.Draft202012Validator(ITEM_SCHEMA)


@dataclass(frozen=True)
class ItemSetInfo:
    """What anyone allowed to know a set exists may see: never its items or canary."""

    id: int
    name: str
    item_count: int
    loaded_by: str
    created_at: datetime


def _documents(data: bytes, source: str) -> list[tuple[str, Any]]:
    """(place, value) for each item: `$[3]` in a JSON array, `line 4` in JSON Lines."""
    head = data.lstrip()[:1]
    if head == b"[":
        try:
            items = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise InvalidItemSet(f"{source}: not valid JSON: {exc}") from None
        return [(f"$[{index}]", item) for index, item in enumerate(items)]
    found = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append((f"line {number}", orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            raise InvalidItemSet(f"{source}: line {number}: not valid JSON: {exc}") from None
        if len(found) > MAX_ITEMS:
            break
    return found


def parse_items(data: bytes, *, source: str = "items") -> list[dict[str, Any]]:
    """Validated items with the canary added, or InvalidItemSet naming the item at fault.

    Error messages name the place and the rule, never the offending text: the file is
    restricted, and errors are printed and may be logged.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InvalidItemSet(f"{source}: an item file may be at most 50 MiB")
    documents = _documents(data, source)
    if not documents:
        raise InvalidItemSet(f"{source}: holds no items")
    if len(documents) > MAX_ITEMS:
        raise InvalidItemSet(f"{source}: at most {MAX_ITEMS} items per set")
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for place, document in documents:
        error = next(iter(_VALIDATOR.iter_errors(document)), None)
        if error is not None:
            found = schema_error(error, source="", prefix="$")
            raise InvalidItemSet(f"{source}: {place}: {found.path}: {_rule(error)}")
        item = dict(document)
        item["id"] = str(item["id"])
        if item["id"] in seen:
            raise InvalidItemSet(f"{source}: {place}: $.id: the id repeats an earlier item's")
        seen.add(item["id"])
        if item.get("canary", CANARY) != CANARY:
            raise InvalidItemSet(
                f"{source}: {place}: $.canary: differs from this instance's canary string"
            )
        item["canary"] = CANARY
        items.append(item)
    return items


def _rule(error: object) -> str:
    """The violated rule without the instance value (which may be restricted text)."""
    kind = getattr(error, "kind", None)
    name = type(kind).__name__ if kind is not None else "Invalid"
    rules = {
        "Required": "a required property is missing",
        "AdditionalProperties": "an unknown property is present",
        "Type": "has the wrong type",
        "MinLength": "is too short",
        "MaxLength": "is too long",
        "MinItems": "has too few entries",
        "MaxItems": "has too many entries",
        "Pattern": "does not match the allowed pattern",
        "OneOf": "is neither a string nor an allowed alternative",
        "Minimum": "is too small",
        "Maximum": "is too large",
    }
    return rules.get(name, f"breaks the schema rule {name}")


def cipher_for(session: Session, encryption_key: str | None = None) -> Fernet:
    """The instance's Fernet cipher (settings' key, or the key file beside SQLite)."""
    if encryption_key is None:
        from clearinghouse.settings import get_settings

        encryption_key = get_settings().encryption_key
    database_url = session.get_bind().engine.url.render_as_string(hide_password=False)
    return credential_cipher(encryption_key, database_url)


def load_item_set(
    session: Session,
    principal: Principal,
    *,
    name: str,
    data: bytes,
    source: str,
    now: datetime,
    encryption_key: str | None = None,
) -> RestrictedItemSet:
    """Validate, stamp with the canary, encrypt and store a new item set (operators only)."""
    require_eval(principal, EvalAction.items_load)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidItemSet(f"a set's name has 1 to {MAX_NAME} characters")
    if session.scalar(select(RestrictedItemSet.id).where(RestrictedItemSet.name == name)):
        raise DuplicateItemSet(f"an item set named {name!r} is already loaded")
    items = parse_items(data, source=source)
    cipher = cipher_for(session, encryption_key)
    row = RestrictedItemSet(
        name=name,
        items_ciphertext=cipher.encrypt(orjson.dumps(items)),
        item_count=len(items),
        canary=CANARY,
        loaded_by=principal.actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    # The audit log records the count, never an item or the canary.
    audit.append(
        session,
        actor=principal.actor,
        action="item_set.load",
        subject_type="restricted_item_set",
        subject_id=str(row.id),
        after={"name": name, "item_count": len(items)},
        details={"name": name, "item_count": len(items)},
    )
    return row


def load_item_file(
    session: Session,
    principal: Principal,
    *,
    path: Path,
    name: str,
    now: datetime,
    encryption_key: str | None = None,
) -> RestrictedItemSet:
    """`load_item_set` from a file, refusing an oversized one before reading it."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InvalidItemSet(f"{path.name}: an item file may be at most 50 MiB")
    return load_item_set(
        session,
        principal,
        name=name,
        data=path.read_bytes(),
        source=path.name,
        now=now,
        encryption_key=encryption_key,
    )


def item_set(session: Session, reference: int | str) -> RestrictedItemSet:
    """A set by id or by name."""
    if isinstance(reference, int) or reference.isdigit():
        row = session.get(RestrictedItemSet, int(reference))
    else:
        row = session.scalar(select(RestrictedItemSet).where(RestrictedItemSet.name == reference))
    if row is None:
        raise UnknownItemSet(f"no restricted item set {reference!r}")
    return row


def list_item_sets(session: Session, principal: Principal) -> list[ItemSetInfo]:
    """Every set's name and size, for reviewers and operators (who choose one for a run)."""
    require_eval(principal, EvalAction.items_read)
    rows = session.scalars(select(RestrictedItemSet).order_by(RestrictedItemSet.id))
    return [ItemSetInfo(r.id, r.name, r.item_count, r.loaded_by, r.created_at) for r in rows]


def open_items(row: RestrictedItemSet, cipher: Fernet) -> list[dict[str, Any]]:
    """The decrypted items: for the benchmark runner, and reviewers through `read_items`."""
    try:
        items: list[dict[str, Any]] = orjson.loads(cipher.decrypt(row.items_ciphertext))
    except InvalidToken:
        raise InvalidEncryptionKey(
            "the restricted item set does not open with this key; was the key changed?"
        ) from None
    return items


def read_items(
    session: Session,
    principal: Principal,
    reference: int | str,
    *,
    encryption_key: str | None = None,
) -> tuple[RestrictedItemSet, list[dict[str, Any]]]:
    """A set's items for a reviewer or operator; everyone else is refused."""
    require_eval(principal, EvalAction.items_read)
    row = item_set(session, reference)
    return row, open_items(row, cipher_for(session, encryption_key))


def item_texts(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every text of the items (inputs, targets, choices) and the canary: what must not leak.

    The runner redacts these from anything it stores outside the encrypted log.
    """
    texts = {CANARY}
    for item in items:
        texts.add(str(item["input"]))
        target = item["target"]
        texts.update([target] if isinstance(target, str) else target)
        texts.update(item.get("choices", ()))
    return sorted((t for t in texts if len(t) >= 4), key=len, reverse=True)
