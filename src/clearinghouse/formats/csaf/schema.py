"""The CSAF 2.0 JSON schema and the FIRST CVSS schemas it references, all read offline."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema_rs
import orjson

from clearinghouse.formats.csaf.report import SCHEMA, CsafFailure, pointer

# The URLs the CSAF schema uses in `$ref`, mapped to the vendored copies (CSAF-SOURCES.md).
CVSS_SCHEMA_FILES = {
    "2.0": ("https://www.first.org/cvss/cvss-v2.0.json", "cvss-v2.0.json"),
    "3.0": ("https://www.first.org/cvss/cvss-v3.0.json", "cvss-v3.0.json"),
    "3.1": ("https://www.first.org/cvss/cvss-v3.1.json", "cvss-v3.1.json"),
}
_MESSAGE_LIMIT = 300


def _load(name: str) -> Any:
    return orjson.loads(files("clearinghouse.formats").joinpath(f"schemas/{name}").read_bytes())


def _refuse_retrieval(uri: str) -> Any:
    raise ValueError(f"the CSAF schemas are read offline; {uri} is not vendored")


@cache
def csaf_schema() -> dict[str, Any]:
    schema: dict[str, Any] = _load("csaf-2.0-schema.json")
    return schema


@cache
def cvss_schema(version: str) -> dict[str, Any]:
    schema: dict[str, Any] = _load(CVSS_SCHEMA_FILES[version][1])
    return schema


def _registry() -> Any:
    resources: list[tuple[str, Any]] = []
    for version, (url, _) in CVSS_SCHEMA_FILES.items():
        schema = cvss_schema(version)
        resources.append((url, schema))
        # v3.1 names itself with a query (`...cvss-v3.1.json?20211103`); register that too.
        declared = schema.get("$id")
        if isinstance(declared, str) and declared != url:
            resources.append((declared, schema))
    return jsonschema_rs.Registry(resources)


@cache
def _csaf_validator() -> Any:
    return jsonschema_rs.Draft202012Validator(
        csaf_schema(), registry=_registry(), retriever=_refuse_retrieval, validate_formats=True
    )


@cache
def _cvss_validator(version: str) -> Any:
    schema = cvss_schema(version)
    draft = str(schema.get("$schema", ""))
    cls = jsonschema_rs.Draft7Validator if "draft-07" in draft else jsonschema_rs.Draft4Validator
    return cls(schema, retriever=_refuse_retrieval, validate_formats=True)


def _shorten(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _errors(validator: Any, instance: object) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for error in validator.iter_errors(instance):
        yield tuple(error.instance_path), _shorten(str(error.message))


def schema_failures(doc: object) -> list[CsafFailure]:
    """Every error the CSAF 2.0 JSON schema finds, as failures of test id "schema"."""
    return [
        CsafFailure(SCHEMA, pointer(*path), message)
        for path, message in _errors(_csaf_validator(), doc)
    ]


def cvss_schema_errors(cvss: object, version: str) -> list[tuple[tuple[str | int, ...], str]]:
    """(path inside the object, message) for each error of one CVSS object against the FIRST
    schema of `version` ("2.0", "3.0" or "3.1")."""
    return list(_errors(_cvss_validator(version), cvss))
