"""Read, validate and write OSV records (JSON and YAML), the schema every feed is normalised to."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import orjson
import yaml

from clearinghouse.formats.errors import InvalidRecord, json_path, schema_error

OSV_SCHEMA: dict[str, Any] = orjson.loads(
    files("clearinghouse.formats").joinpath("schemas/osv-schema.json").read_bytes()
)
# Feeds still publish GIT ranges with abbreviated commits (PyPA's 2024 records do), a rule
# the schema added later; we accept them rather than refuse real advisories.
_RELAXED_RULES = frozenset({"GIT ranges must use full-length commit hashes"})


def _relaxed(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: (
                [_relaxed(rule) for rule in value if rule.get("title") not in _RELAXED_RULES]
                if key == "allOf"
                else _relaxed(value)
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_relaxed(item) for item in schema]
    return schema


# Compiled once: intake validates thousands of records a second.
_VALIDATOR = jsonschema_rs.Draft202012Validator(_relaxed(OSV_SCHEMA))

_RFC3339_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
# ISO 8601 as written by YAML authors and CVE records: 'T' or spaces, optional fraction and zone.
_ISO_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{1,2}-\d{1,2})(?:[Tt]|[ \t]+)"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d*))?"
    r"(?:[ \t]*(?P<zone>[Zz]|[-+]\d{1,2}(?::?\d{2})?))?"
)


def parse_timestamp(value: str) -> datetime:
    """An RFC 3339 timestamp in UTC ('...Z') as an aware datetime; anything else is invalid."""
    if not isinstance(value, str) or not _RFC3339_Z.fullmatch(value):
        raise InvalidRecord(f"not an RFC 3339 UTC timestamp ('YYYY-MM-DDTHH:MM:SSZ'): {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRecord(f"not a valid date and time: {value!r} ({exc})") from exc


def normalise_timestamp(value: str) -> str:
    """An ISO 8601 timestamp in the OSV form: UTC, 'Z', the fraction digits kept as written.

    A timestamp without a zone is taken as UTC, as both YAML and CVE JSON 5 define it.
    """
    if _RFC3339_Z.fullmatch(value):
        parse_timestamp(value)
        return value
    match = _ISO_TIMESTAMP.fullmatch(value)
    if match is None:
        raise InvalidRecord(f"not an ISO 8601 timestamp: {value!r}")
    try:
        year, month, day = (int(part) for part in match["date"].split("-"))
        moment = datetime(
            year,
            month,
            day,
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise InvalidRecord(f"not a valid date and time: {value!r} ({exc})") from exc
    zone = match["zone"]
    if zone and zone not in "Zz":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:-2] or digits), int(digits[-2:]) if len(digits) > 2 else 0
        moment -= sign * timedelta(hours=hours, minutes=minutes)
    fraction = f".{match['fraction']}" if match["fraction"] else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def dump_osv(doc: dict[str, Any]) -> bytes:
    """Canonical JSON (sorted keys, no whitespace): the bytes behind content hashes."""
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def load_osv_json(data: bytes, *, source: str = "") -> dict[str, Any]:
    """Parse and validate one OSV record in JSON."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = "not valid UTF-8" if "UTF-8" in str(exc) else f"not valid JSON: {exc}"
        raise InvalidRecord(reason, source=source) from exc
    return validate_osv(doc, source=source)


def load_osv_yaml(data: bytes, *, source: str = "") -> dict[str, Any]:
    """Parse (safely: no Python tags) and validate one OSV record in YAML."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(f"not valid UTF-8 (byte {exc.start})", source=source) from exc
    try:
        doc = yaml.load(text, Loader=_OsvYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidRecord(f"not valid YAML{where}: {exc.problem}", source=source) from exc
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise InvalidRecord(f"not valid YAML: {exc}", source=source) from exc
    _check_json_compatible(doc, source=source)
    return validate_osv(doc, source=source)


def validate_osv(doc: object, *, source: str = "") -> dict[str, Any]:
    """Check a parsed record against the OSV schema and the rules OSV.dev adds; return it."""
    if not isinstance(doc, dict):
        raise InvalidRecord("an OSV record must be an object", source=source)
    for field in ("id", "modified"):
        if field not in doc:
            raise InvalidRecord(f"'{field}' is required", source=source, path=f"$.{field}")
    if not _VALIDATOR.is_valid(doc):
        raise _schema_error(doc, source)
    for field in ("modified", "published", "withdrawn"):
        if field in doc:
            try:
                parse_timestamp(doc[field])
            except InvalidRecord as exc:
                raise InvalidRecord(exc.reason, source=source, path=f"$.{field}") from exc
    for i, affected in enumerate(doc.get("affected") or ()):
        for j, osv_range in enumerate(affected.get("ranges") or ()):
            _check_range(osv_range, source=source, path=f"$.affected[{i}].ranges[{j}]")
    return doc


def _schema_error(doc: dict[str, Any], source: str) -> InvalidRecord:
    # The deepest error names the most specific place; ties keep the schema's order.
    errors = list(_VALIDATOR.iter_errors(doc))
    return schema_error(max(errors, key=lambda e: len(e.instance_path)), source=source)


def _check_range(osv_range: dict[str, Any], *, source: str, path: str) -> None:
    events = osv_range["events"]
    if not any("introduced" in event for event in events):
        raise InvalidRecord(
            "a range needs an 'introduced' event", source=source, path=f"{path}.events"
        )
    if osv_range["type"] == "GIT" and "repo" not in osv_range:
        raise InvalidRecord("a GIT range needs 'repo'", source=source, path=f"{path}.repo")


def _check_json_compatible(doc: object, *, source: str) -> None:
    """Refuse what YAML can say and JSON cannot, and alias graphs (a 'billion laughs' bomb)."""
    seen: set[int] = set()
    stack: list[tuple[object, list[str | int]]] = [(doc, [])]
    while stack:
        value, parts = stack.pop()
        if isinstance(value, dict | list):
            if id(value) in seen:
                raise InvalidRecord(
                    "YAML anchors and aliases are not supported",
                    source=source,
                    path=json_path(parts),
                )
            seen.add(id(value))
            if isinstance(value, dict):
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise InvalidRecord(
                            f"mapping keys must be strings, not {key!r}",
                            source=source,
                            path=json_path(parts),
                        )
                    stack.append((item, [*parts, key]))
            else:
                stack.extend((item, [*parts, i]) for i, item in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidRecord(f"{value} has no JSON form", source=source, path=json_path(parts))
        elif value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidRecord(
                f"a YAML {type(value).__name__} has no JSON form",
                source=source,
                path=json_path(parts),
            )


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # PyYAML would build a datetime and lose the digits as written; OSV wants the JSON string.
    text = str(loader.construct_scalar(node))
    if _ISO_TIMESTAMP.fullmatch(text) is None:
        return text  # a bare date such as a version '2024-01-02' stays the string it was
    try:
        return normalise_timestamp(text)
    except InvalidRecord:
        return text  # left for the schema and timestamp checks to report with a path


if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:  # libyaml's loader when PyYAML was built with it: several times faster
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _OsvYamlLoader(_BaseLoader):
    """Safe YAML (no Python tags) whose timestamps come back as OSV's RFC 3339 strings."""


_OsvYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
