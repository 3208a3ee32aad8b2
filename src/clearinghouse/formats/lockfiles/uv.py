"""Read uv.lock (uv's universal lock file, TOML): every `[[package]]` is a pinned component.

The project itself appears as a package whose source is `editable = "."` or `virtual = "."`:
it becomes the document's name, not a component. Other workspace members and path
dependencies (`editable`, `virtual`, `path`, `directory` sources) are local code, skipped with
the path; registry, git and URL sources are kept.
"""

from __future__ import annotations

from typing import Any

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.lockfiles.packages import PackageList, load_toml, text

__all__ = ["read_uv_lock"]

_LOCAL_SOURCES = ("editable", "virtual", "path", "directory")


def read_uv_lock(data: bytes, *, source: str = "") -> SbomDocument:
    """The packages a uv.lock pins."""
    lock = load_toml(data, source=source)
    packages = PackageList("PyPI")
    project: str | None = None
    entries = lock.get("package")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        location = f"[[package]] {index + 1}"
        if not isinstance(entry, dict):
            packages.skip("", "not a table", location=location)
            continue
        name, version = text(entry.get("name")) or "", text(entry.get("version"))
        local = _local_source(entry.get("source"))
        if local is not None:
            kind, path = local
            if path == ".":  # the project being locked
                project = project or name
                continue
            packages.skip(
                name, f"a local {kind} ({path}), not a release", version=version, location=location
            )
            continue
        if version is None:
            packages.skip(name, "no version (a dynamic version is not locked)", location=location)
            continue
        packages.add(name, version, location=location)
    version = lock.get("version")
    return packages.document(
        format="uv.lock",
        encoding="toml",
        format_version=str(version) if isinstance(version, int) else None,
        name=project,
    )


def _local_source(origin: Any) -> tuple[str, str] | None:
    """(kind, path) when the package is local code, else None."""
    if not isinstance(origin, dict):
        return None
    for kind in _LOCAL_SOURCES:
        if kind in origin:
            return kind, str(origin[kind])
    return None
