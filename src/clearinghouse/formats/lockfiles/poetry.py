"""Read poetry.lock (Poetry's lock file, TOML): every `[[package]]` is a pinned component.

A package whose `[package.source]` is a local `directory` or `file` is the participant's own
code or a vendored archive, not a release of the index: skipped with the path. Git, URL and
private-index (`legacy`) sources are kept: they are copies of the named package at that version.
"""

from __future__ import annotations

from typing import Any

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.lockfiles.packages import PackageList, load_toml, text

__all__ = ["read_poetry_lock"]

_LOCAL_SOURCES = frozenset({"directory", "file"})


def read_poetry_lock(data: bytes, *, source: str = "") -> SbomDocument:
    """The packages a poetry.lock pins."""
    lock = load_toml(data, source=source)
    packages = PackageList("PyPI")
    entries = lock.get("package")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        location = f"[[package]] {index + 1}"
        if not isinstance(entry, dict):
            packages.skip("", "not a table", location=location)
            continue
        name, version = text(entry.get("name")) or "", text(entry.get("version"))
        origin = _table(entry.get("source"))
        if origin.get("type") in _LOCAL_SOURCES:
            packages.skip(
                name,
                f"a local {origin['type']} ({origin.get('url', '?')}), not a release",
                version=version,
                location=location,
            )
            continue
        packages.add(name, version or "", location=location)
    metadata = _table(lock.get("metadata"))
    return packages.document(
        format="poetry.lock", encoding="toml", format_version=text(metadata.get("lock-version"))
    )


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
