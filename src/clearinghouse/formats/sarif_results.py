"""Read the results of a SARIF 2.1.0 log (scanners, AI code reviewers): one finding per result.

The log is validated against the OASIS schema vendored in `schemas/sarif-schema-2.1.0.json`
before anything is read from it, so every field below has the type the standard gives it.
A result's text may live in the result (`message.text`) or in its rule (`messageStrings`,
with `{0}` placeholders for the result's `arguments`); its weakness in the rule's tags
(`external/cwe/cwe-079`, CodeQL's habit, or `CWE-79`) or in a relationship to the CWE
taxonomy. SARIF has no package: a logical location whose name is a purl, or the
`ecosystem`/`package`/`version` result properties that our own SARIF writer sets, say
which package a result is about.

No Python library reads SARIF into plain values (`sarif-om` only mirrors the schema as
classes and does not validate), so this is a small hand-written reader over the schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import jsonschema_rs
import orjson

from clearinghouse.formats.errors import InvalidRecord, schema_error

__all__ = ["MAX_RESULTS", "SarifResult", "read_sarif_results"]

SARIF_SCHEMA: dict[str, Any] = orjson.loads(
    files("clearinghouse.formats").joinpath("schemas/sarif-schema-2.1.0.json").read_bytes()
)
_VALIDATOR = jsonschema_rs.validator_for(SARIF_SCHEMA)

# One model run reports hundreds of findings; a log of more than this is split by its sender.
MAX_RESULTS = 10_000
MAX_TEXT = 20_000
_CWE_TAG = re.compile(r"(?:external/cwe/)?cwe[-_:]?0*(\d{1,5})$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\d+)\}")


@dataclass(frozen=True, slots=True)
class SarifResult:
    """One result of one run, with what its rule and its run say about it."""

    run_index: int
    result_index: int
    tool_name: str
    tool_version: str | None
    run_id: str | None  # automationDetails.id: which run of the tool (or model) this was
    rule_id: str | None
    rule_name: str | None
    title: str
    message: str
    description: str
    level: str  # none, note, warning, error
    location: str | None  # uri[:line[:column]], or a logical location's name
    cwes: tuple[str, ...]
    security_severity: float | None
    ecosystem: str | None = None
    package: str | None = None
    version: str | None = None
    purl: str | None = None
    identifiers: tuple[str, ...] = ()
    fingerprints: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"$.runs[{self.run_index}].results[{self.result_index}]"


def _load(data: bytes, source: str) -> dict[str, Any]:
    try:
        log = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord(f"not valid JSON: {exc}", source=source) from exc
    if not isinstance(log, dict):
        raise InvalidRecord("a SARIF log is a JSON object", source=source)
    if log.get("version") != "2.1.0":
        raise InvalidRecord("only SARIF version 2.1.0 is read", source=source, path="$.version")
    if not _VALIDATOR.is_valid(log):
        errors = list(_VALIDATOR.iter_errors(log))
        deepest = max(errors, key=lambda e: len(e.instance_path))
        raise schema_error(deepest, source=source)
    return log


def _text(message: Mapping[str, Any] | None) -> str:
    if not message:
        return ""
    return str(message.get("text") or message.get("markdown") or "")


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rule_of(result: Mapping[str, Any], rules: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    index = result.get("ruleIndex", (result.get("rule") or {}).get("index", -1))
    if isinstance(index, int) and 0 <= index < len(rules):
        return rules[index]
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id")
    for rule in rules:
        if rule_id is not None and rule.get("id") == rule_id:
            return rule
    return {}


def _message(result: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    message = result.get("message") or {}
    text = _text(message)
    if text:
        return text
    strings = rule.get("messageStrings") or {}
    template = _text(strings.get(message.get("id"))) if message.get("id") else ""
    arguments = [str(a) for a in message.get("arguments") or ()]

    def fill(match: re.Match[str]) -> str:
        position = int(match.group(1))
        return arguments[position] if position < len(arguments) else match.group(0)

    return _PLACEHOLDER.sub(fill, template)


def _cwes(rule: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for tag in (rule.get("properties") or {}).get("tags") or ():
        match = _CWE_TAG.match(str(tag).strip())
        if match:
            found.append(f"CWE-{int(match.group(1))}")
    for relationship in rule.get("relationships") or ():
        target = relationship.get("target") or {}
        component = (target.get("toolComponent") or {}).get("name", "")
        if str(component).upper() == "CWE" and str(target.get("id", "")).isdigit():
            found.append(f"CWE-{int(target['id'])}")
    return tuple(dict.fromkeys(found))


def _location(result: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(where, purl): the first physical location as uri:line, and a purl if one is named."""
    where: str | None = None
    purl: str | None = None
    for location in result.get("locations") or ():
        physical = location.get("physicalLocation") or {}
        uri = (physical.get("artifactLocation") or {}).get("uri")
        if uri and where is None:
            region = physical.get("region") or {}
            line = region.get("startLine")
            where = f"{uri}:{line}" if line else str(uri)
        for logical in location.get("logicalLocations") or ():
            name = logical.get("fullyQualifiedName") or logical.get("name")
            if isinstance(name, str) and name.startswith("pkg:") and purl is None:
                purl = name
            elif where is None and isinstance(name, str):
                where = name
    return where, purl


def _severity(rule: Mapping[str, Any], result: Mapping[str, Any]) -> float | None:
    for properties in (result.get("properties") or {}, rule.get("properties") or {}):
        value = properties.get("security-severity")
        if not isinstance(value, str | int | float):
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if 0.0 <= number <= 10.0:
            return number
    return None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _suppressed(result: Mapping[str, Any]) -> bool:
    # An accepted suppression means the tool's own user ruled the result out.
    suppressions = result.get("suppressions") or ()
    return any(s.get("status", "accepted") == "accepted" for s in suppressions)


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if isinstance(item, str) and item.strip())


def _one(
    run_index: int,
    result_index: int,
    result: Mapping[str, Any],
    run: Mapping[str, Any],
    rules: Sequence[Mapping[str, Any]],
) -> SarifResult:
    driver = run["tool"]["driver"]
    rule = _rule_of(result, rules)
    message = _message(result, rule)
    short = _text(rule.get("shortDescription"))
    full = _text(rule.get("fullDescription"))
    title = (short or message.split("\n", 1)[0] or rule.get("name") or "SARIF result").strip()
    description = "\n\n".join(part for part in (message, full) if part) or title
    level = result.get("level") or (rule.get("defaultConfiguration") or {}).get("level")
    where, purl = _location(result)
    properties = result.get("properties") or {}
    fingerprints = {
        **{str(k): str(v) for k, v in (result.get("partialFingerprints") or {}).items()},
        **{str(k): str(v) for k, v in (result.get("fingerprints") or {}).items()},
    }
    return SarifResult(
        run_index=run_index,
        result_index=result_index,
        tool_name=str(driver["name"]),
        tool_version=driver.get("semanticVersion") or driver.get("version"),
        run_id=(run.get("automationDetails") or {}).get("id"),
        rule_id=result.get("ruleId") or rule.get("id"),
        rule_name=rule.get("name"),
        title=_clip(title, 300),
        message=_clip(message),
        description=_clip(description),
        level=str(level or "warning"),
        location=_clip(where, 2000) if where else None,
        cwes=_cwes(rule),
        security_severity=_severity(rule, result),
        ecosystem=properties.get("ecosystem")
        if isinstance(properties.get("ecosystem"), str)
        else None,
        package=properties.get("package") if isinstance(properties.get("package"), str) else None,
        version=properties.get("version") if isinstance(properties.get("version"), str) else None,
        purl=purl,
        identifiers=_strings(properties.get("aliases")),
        fingerprints=fingerprints,
    )


def read_sarif_results(data: bytes, *, source: str = "") -> list[SarifResult]:
    """Every result of every run of a SARIF 2.1.0 log, in order; suppressed ones are left out.

    Raises `InvalidRecord` (with the JSON path) for a log that is not valid SARIF 2.1.0,
    and for one with more than `MAX_RESULTS` results.
    """
    log = _load(data, source)
    found: list[SarifResult] = []
    for run_index, run in enumerate(log["runs"]):
        rules = run["tool"]["driver"].get("rules") or []
        results = run.get("results") or []
        if len(found) + len(results) > MAX_RESULTS:
            raise InvalidRecord(
                f"more than {MAX_RESULTS} results in one log; send it in parts",
                source=source,
                path=f"$.runs[{run_index}].results",
            )
        for result_index, result in enumerate(results):
            # An accepted suppression means the tool's own user ruled the result out.
            if any(
                s.get("status", "accepted") == "accepted" for s in result.get("suppressions") or ()
            ):
                continue
            found.append(_one(run_index, result_index, result, run, rules))
    return found
