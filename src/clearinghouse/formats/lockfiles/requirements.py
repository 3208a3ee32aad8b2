"""Read a pinned requirements.txt (pip's requirements file format, as `pip freeze` and
`pip-compile` write it): each `name==version` line is a component.

A requirements file is not a lockfile unless every line pins one version; the lines that do not
(`name>=1.0`, a bare name, a URL or local path, `-e`) are skipped with the reason, so the
participant sees what was not checked. `-r` and `-c` name other files, which are not read
here: the reader says so in a warning. Hashes (`--hash=...`) and environment markers
(`; python_version < "3.9"`) are read past: a marker says where a pin applies, and we check
the pin wherever it may apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from packaging.requirements import InvalidRequirement, Requirement

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.lockfiles.packages import PackageList, decode_text

__all__ = ["read_requirements_txt"]

# pip: a comment starts at '#' at the start of a line or after whitespace.
_COMMENT = re.compile(r"(^|\s+)#.*$")
# Options a requirement line may carry after its specifier (pip's per-requirement options).
_LINE_OPTIONS = re.compile(r"\s+(?:--hash|--global-option|--config-settings|-C)\b.*$")
_INCLUDES = ("-r", "--requirement", "-c", "--constraint")
_EDITABLE = ("-e", "--editable")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^git\+|^file:")
_LOCAL = re.compile(r"^(?:\.{1,2}[/\\]|/|~|[A-Za-z]:[/\\])|\.(?:whl|zip|tar\.gz|tgz|tar\.bz2)$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


def read_requirements_txt(data: bytes, *, source: str = "") -> SbomDocument:
    """The pinned packages of a requirements file; everything else skipped with the reason."""
    packages = PackageList("PyPI")
    for number, line in _logical_lines(decode_text(data, source=source)):
        location = f"line {number}"
        if line.startswith("-"):
            _option(line, packages, location)
        else:
            _requirement(line, packages, location)
    return packages.document(format="requirements.txt", encoding="text")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line: comments gone, continuations joined."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        joined = " ".join([*pending, line]).strip()
        pending = []
        if joined:
            yield start, joined
    if pending and (joined := " ".join(pending).strip()):
        yield start, joined


def _option(line: str, packages: PackageList, location: str) -> None:
    # "-r base.txt", "-rbase.txt", "--requirement=base.txt", "--requirement base.txt"
    name = re.split(r"[\s=]", line, maxsplit=1)[0] if line.startswith("--") else line[:2]
    value = line[len(name) :].lstrip(" =\t")
    if name in _INCLUDES:
        packages.warn(f"{location}: '{line}' names another file, which is not read here")
    elif name in _EDITABLE:
        packages.skip(
            _egg_name(value) or value,
            "editable install (-e): a working copy, not a released package",
            location=location,
        )
    # Every other option (--index-url, --find-links, --require-hashes, ...) says where or how
    # to install, not what.


def _requirement(line: str, packages: PackageList, location: str) -> None:
    text = _LINE_OPTIONS.sub("", line).strip()
    target = re.split(r"[\s;]", text, maxsplit=1)[0]
    if _URL.match(target) or _LOCAL.search(target):
        packages.skip(
            _egg_name(target) or target,
            "a URL or local path, not a release from the package index",
            location=location,
        )
        return
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        packages.skip(text, f"not a requirement pip can read: {reason}", location=location)
        return
    if requirement.url:
        packages.skip(
            requirement.name,
            f"a direct reference ({requirement.url}), not a release from the package index",
            location=location,
        )
        return
    version = _pinned_version(requirement)
    if version is None:
        spec = str(requirement.specifier) or "no version"
        packages.skip(requirement.name, f"not pinned to one version ({spec})", location=location)
        return
    packages.add(requirement.name, version, location=location)


def _pinned_version(requirement: Requirement) -> str | None:
    """The one version `==X` or `===X` allows; None for ranges, wildcards and several clauses."""
    clauses = list(requirement.specifier)
    if len(clauses) != 1:
        return None
    clause = clauses[0]
    if clause.operator == "===" or (clause.operator == "==" and not clause.version.endswith("*")):
        return clause.version
    return None


def _egg_name(text: str) -> str | None:
    match = _EGG.search(text)
    return match.group(1) if match else None
