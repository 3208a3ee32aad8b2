"""Read Pipfile.lock (Pipenv's lock file, JSON): the `default` and `develop` sections.

An entry pins `"version": "==X"`; entries without one are editable, local, git or file
dependencies, skipped with what they point at.
"""

from __future__ import annotations

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.lockfiles.packages import PackageList, load_json, text

__all__ = ["read_pipfile_lock"]

_SECTIONS = ("default", "develop")
_ORIGINS = ("git", "path", "file", "svn", "hg", "bzr")


def read_pipfile_lock(data: bytes, *, source: str = "") -> SbomDocument:
    """The packages a Pipfile.lock pins, production and development alike."""
    lock = load_json(data, source=source)
    packages = PackageList("PyPI")
    for section in _SECTIONS:
        entries = lock.get(section)
        for name, entry in (entries if isinstance(entries, dict) else {}).items():
            location = f"{section}.{name}"
            spec = text(entry.get("version")) if isinstance(entry, dict) else None
            version = _pinned(spec)
            if version is not None:
                packages.add(name, version, location=location)
                continue
            origin = next(
                (
                    f"{key} {entry[key]}"
                    for key in _ORIGINS
                    if isinstance(entry, dict) and key in entry
                ),
                None,
            )
            reason = (
                f"not from the package index ({origin})"
                if origin
                else f"not pinned to one version ({spec or 'no version'})"
            )
            packages.skip(name, reason, location=location)
    meta = lock.get("_meta")
    spec_version = meta.get("pipfile-spec") if isinstance(meta, dict) else None
    return packages.document(
        format="Pipfile.lock",
        encoding="json",
        format_version=str(spec_version) if isinstance(spec_version, int) else None,
    )


def _pinned(spec: str | None) -> str | None:
    if spec is None:
        return None
    for operator in ("===", "=="):
        if spec.startswith(operator):
            version = spec[len(operator) :].strip()
            return version if version and not version.endswith("*") else None
    return None
