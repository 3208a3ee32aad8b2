"""Read Go's go.mod and go.sum: the modules a Go build uses, at the versions it selects.

go.mod: every `require` is a component (from Go 1.17 on, go.mod lists every module the build
needs, indirect ones marked `// indirect`). A `replace` changes what is built: a module replaced
by another module at a version is that module, and one replaced by a local directory is local
code, skipped. The grammar (golang.org/x/mod/modfile) is small and no Python library reads it.

go.sum alone: it holds a hash for each module version the go command downloaded (`h1:` of the
whole module) or only consulted (`/go.mod` hashes, read during version selection and not built).
The build uses one version per module, the highest required, so the highest fully hashed
version of each module is the component, and older ones are skipped with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.formats.lockfiles.packages import PackageList, decode_text
from clearinghouse.matching.errors import InvalidVersion
from clearinghouse.matching.versions import Version, parse_version

__all__ = ["read_go_mod", "read_go_module", "read_go_sum"]

# A token of go.mod: a quoted string (interpreted or raw), '=>', a parenthesis, or a word.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|=>|[()]|[^\s()"`]+')
_GO_VERSION = re.compile(r"(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class _Replacement:
    path: str
    version: str | None  # None: a local directory
    line: int


def read_go_module(go_mod: bytes | None, go_sum: bytes | None, *, source: str = "") -> SbomDocument:
    """A module folder: go.mod's requirements when there is a go.mod, else go.sum's modules."""
    if go_mod is not None:
        return read_go_mod(go_mod, source=f"{source}/go.mod" if source else "go.mod")
    if go_sum is not None:
        return read_go_sum(go_sum, source=f"{source}/go.sum" if source else "go.sum")
    raise InvalidRecord("a Go module folder needs a go.mod or a go.sum", source=source)


def read_go_mod(data: bytes, *, source: str = "") -> SbomDocument:
    """The modules a go.mod requires, after its replacements."""
    module: str | None = None
    go_version: str | None = None
    requires: list[tuple[int, str, str]] = []
    replacements: dict[tuple[str, str | None], _Replacement] = {}
    for number, verb, args in _directives(decode_text(data, source=source), source=source):
        where = f"line {number}"
        if verb == "module" and args:
            module = args[0]
        elif verb == "go" and args:
            go_version = args[0]
        elif verb == "require":
            if len(args) != 2:
                raise InvalidRecord(
                    "a requirement is a module path and a version", source=source, path=where
                )
            requires.append((number, args[0], args[1]))
        elif verb == "replace":
            old, new = _replacement(args, number, source=source)
            replacements[old] = new
    packages = PackageList("Go")
    for number, path, version in requires:
        replaced = replacements.get((path, version)) or replacements.get((path, None))
        location = f"line {number}"
        if replaced is None:
            packages.add(path, version, location=location)
        elif replaced.version is None:
            packages.skip(
                path,
                f"replaced by the local directory {replaced.path} (line {replaced.line})",
                version=version,
                location=location,
            )
        else:
            packages.add(
                replaced.path,
                replaced.version,
                location=f"{location}, replaced at line {replaced.line}",
            )
    match = _GO_VERSION.match(go_version or "")
    if match and (int(match.group(1)), int(match.group(2))) < (1, 17):
        packages.warn(
            f"go {go_version}: before Go 1.17 go.mod lists only some of the modules the build "
            "uses; scan go.sum for the rest"
        )
    return packages.document(format="go.mod", encoding="text", name=module)


def read_go_sum(data: bytes, *, source: str = "") -> SbomDocument:
    """The modules whose code a go.sum vouches for: per module, the highest version."""
    built: dict[str, list[tuple[str, int]]] = {}
    consulted: set[str] = set()
    for number, line in enumerate(decode_text(data, source=source).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3:
            raise InvalidRecord(
                "expected 'module version hash'", source=source, path=f"line {number}"
            )
        path, version, _hash = fields
        if version.endswith("/go.mod"):
            consulted.add(path)
        else:
            built.setdefault(path, []).append((version, number))
    packages = PackageList("Go")
    for path, versions in built.items():
        _highest(path, versions, packages)
    only_consulted = consulted - built.keys()
    if only_consulted:
        count = len(only_consulted)
        packages.warn(
            f"{count} {'module appears' if count == 1 else 'modules appear'} in go.sum only with "
            "a go.mod hash (read for version selection, not built); they are not components"
        )
    return packages.document(format="go.sum", encoding="text")


def _highest(path: str, versions: list[tuple[str, int]], packages: PackageList) -> None:
    ordered: list[tuple[Version, str, int]] = []
    for version, number in versions:
        try:
            ordered.append((parse_version("Go", version), version, number))
        except InvalidVersion as exc:
            packages.skip(path, str(exc), version=version, location=f"line {number}")
    if not ordered:
        return
    ordered.sort(key=lambda entry: entry[0])
    _, chosen, chosen_line = ordered[-1]
    packages.add(path, chosen, location=f"line {chosen_line}")
    for _, version, number in ordered[:-1]:
        packages.skip(
            path,
            f"go.sum also lists {chosen}; a build uses one version of a module, the highest",
            version=version,
            location=f"line {number}",
        )


def _directives(content: str, *, source: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, verb, arguments) of each directive, blocks (`require ( ... )`) unfolded."""
    block: str | None = None
    for number, raw in enumerate(content.splitlines(), start=1):
        tokens = [_unquote(token) for token in _TOKEN.findall(_code(raw))]
        if not tokens:
            continue
        if block is not None:
            if tokens == [")"]:
                block = None
            else:
                yield number, block, tokens
        elif tokens[-1] == "(":
            if len(tokens) != 2:
                raise InvalidRecord(
                    "a block starts with 'verb ('", source=source, path=f"line {number}"
                )
            block = tokens[0]
        else:
            yield number, tokens[0], tokens[1:]
    if block is not None:
        raise InvalidRecord(f"the {block} block is not closed with ')'", source=source, path="end")


def _code(line: str) -> str:
    """The line without its `//` comment (a module path holds no '//'; a quoted string may)."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif not quoted and line.startswith("//", index):
            return line[:index]
    return line


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in '"`':
        return token[1:-1]
    return token


def _replacement(
    args: list[str], number: int, *, source: str
) -> tuple[tuple[str, str | None], _Replacement]:
    """`old [version] => new [version]`; a new path without a version is a local directory."""
    if "=>" not in args:
        raise InvalidRecord("a replacement needs '=>'", source=source, path=f"line {number}")
    arrow = args.index("=>")
    old, new = args[:arrow], args[arrow + 1 :]
    if len(old) not in (1, 2) or len(new) not in (1, 2):
        raise InvalidRecord(
            "a replacement is 'module [version] => module version' or '=> directory'",
            source=source,
            path=f"line {number}",
        )
    old_version = old[1] if len(old) == 2 else None
    new_version = new[1] if len(new) == 2 else None
    return (old[0], old_version), _Replacement(new[0], new_version, number)
