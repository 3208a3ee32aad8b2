"""Read yarn.lock: Yarn classic's own format (v1) and Yarn berry's YAML (2 and later).

Classic: each entry starts at column 0 with the specifiers it satisfies
(`"@babel/core@^7.0.0", "@babel/core@^7.1.0":`) followed by indented `version "7.1.2"`,
`resolved ...` lines. No library reads it for Python, and the grammar is a handful of lines.
Berry: YAML whose entries carry `resolution: "name@npm:1.2.3"`; `__metadata` holds the version.
Workspaces (`workspace:`), `link:`, `portal:` and `file:` are local code, skipped; the root
workspace (`workspace:.`) names the document. A `patch:` entry is the patched copy of an npm
package and counts as that package.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import yaml

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.formats.lockfiles.packages import PackageList, decode_text, text

__all__ = ["read_yarn_lock"]

_BERRY = re.compile(r"^__metadata:", re.MULTILINE)
_LOCAL_PROTOCOLS = ("file:", "link:", "portal:")

if TYPE_CHECKING:
    _Loader = yaml.BaseLoader
else:  # libyaml's loader when PyYAML was built with it
    _Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def read_yarn_lock(data: bytes, *, source: str = "") -> SbomDocument:
    """The packages a yarn.lock pins, classic or berry."""
    content = decode_text(data, source=source)
    if _BERRY.search(content):
        return _read_berry(content, source=source)
    return _read_classic(content, source=source)


def split_specifier(spec: str) -> tuple[str, str]:
    """'@scope/name@^1.0.0' -> ('@scope/name', '^1.0.0'): the name ends at the first '@' after
    its first character (a scope's '@' is the first character)."""
    at = spec.find("@", 1)
    return (spec, "") if at == -1 else (spec[:at], spec[at + 1 :])


# --- classic (v1) ------------------------------------------------------------------------------


def _read_classic(content: str, *, source: str) -> SbomDocument:
    packages = PackageList("npm")
    for number, specifiers, fields in _classic_entries(content, source=source):
        location = f"line {number}"
        name, wanted = split_specifier(specifiers[0])
        if wanted.startswith("npm:"):  # an alias: "alias@npm:real-name@^1.0.0"
            name = split_specifier(wanted[len("npm:") :])[0]
        version = fields.get("version")
        if wanted.startswith(_LOCAL_PROTOCOLS):
            packages.skip(
                name,
                f"a local package ({wanted}), not a release",
                version=version,
                location=location,
            )
        else:
            packages.add(name, version or "", location=location)
    return packages.document(format="yarn.lock", encoding="text", format_version="1")


def _classic_entries(content: str, *, source: str) -> list[tuple[int, list[str], dict[str, str]]]:
    entries: list[tuple[int, list[str], dict[str, str]]] = []
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            if not line.endswith(":"):
                raise InvalidRecord(
                    "expected an entry ('name@range:') at the start of the line",
                    source=source,
                    path=f"line {number}",
                )
            specifiers = [_unquote(spec) for spec in line[:-1].split(",")]
            entries.append((number, specifiers, {}))
        elif not entries:
            raise InvalidRecord(
                "an indented line before any entry", source=source, path=f"line {number}"
            )
        elif indent == 2 and not line.endswith(":"):
            key, _, value = line.partition(" ")
            entries[-1][2][_unquote(key)] = _unquote(value)
        # deeper lines (the entry's dependencies) say what it needs, not what is installed
    return entries


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


# --- berry (2+) --------------------------------------------------------------------------------


def _read_berry(content: str, *, source: str) -> SbomDocument:
    lock = _load_yaml(content, source=source)
    packages = PackageList("npm")
    project: str | None = None
    for key, entry in lock.items():
        if key == "__metadata":
            continue
        if not isinstance(entry, dict):
            packages.skip(str(key), "not a mapping", location=str(key))
            continue
        resolution = text(entry.get("resolution")) or str(key).split(",")[0].strip()
        location = f"resolution {resolution}"
        name, reference = split_specifier(resolution)
        protocol, _, target = reference.partition(":")
        version = text(entry.get("version"))
        if protocol == "workspace":
            if target == ".":
                project = project or name
            else:
                packages.skip(
                    name,
                    f"a workspace package at {target} (local code)",
                    version=version,
                    location=location,
                )
        elif f"{protocol}:" in _LOCAL_PROTOCOLS:
            packages.skip(
                name,
                f"a local package ({reference}), not a release",
                version=version,
                location=location,
            )
        elif protocol == "patch":
            _patched(target, version, packages, location)
        elif protocol == "npm":
            packages.add(name, version or target, location=location)
        else:  # git, https tarballs: a copy of the named package at its declared version
            packages.add(name, version or "", location=location)
    metadata = lock.get("__metadata")
    format_version = text(metadata.get("version")) if isinstance(metadata, dict) else None
    return packages.document(
        format="yarn.lock", encoding="yaml", format_version=format_version, name=project
    )


def _patched(target: str, version: str | None, packages: PackageList, location: str) -> None:
    """'resolve@npm%3A1.22.1#~builtin<compat/resolve>::...': the npm package under the patch."""
    inner = unquote(target.split("#", 1)[0])
    name, reference = split_specifier(inner)
    if reference.startswith("npm:"):
        packages.add(name, version or reference[len("npm:") :], location=location)
    else:
        packages.skip(
            name, f"a patch of a package not from npm ({inner})", version=version, location=location
        )


def _load_yaml(content: str, *, source: str) -> dict[str, Any]:
    # The base loader keeps every scalar a string: a version such as 1.10 stays "1.10".
    try:
        lock = yaml.load(content, Loader=_Loader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else ""
        raise InvalidRecord(f"not valid YAML: {exc.problem}", source=source, path=where) from exc
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise InvalidRecord(f"not valid YAML: {exc}", source=source, path="") from exc
    if not isinstance(lock, dict):
        raise InvalidRecord("a yarn berry lockfile is a YAML mapping", source=source, path="")
    return lock
