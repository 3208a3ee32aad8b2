"""Read package-lock.json and npm-shrinkwrap.json (npm's lock file, lockfileVersion 1, 2 or 3).

Versions 2 and 3 list every installed copy under `packages`, keyed by its place in
node_modules ("node_modules/a/node_modules/b"); the key "" is the project itself, which names
the document. Version 1 nests `dependencies` inside `dependencies` instead; version 2 has both,
and `packages` is read. Workspace folders and `file:` dependencies are local code, skipped; a
`link` entry is only npm's symlink to a workspace folder listed under its own key, not a package.
"""

from __future__ import annotations

from typing import Any

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.formats.lockfiles.packages import PackageList, load_json, text

__all__ = ["read_package_lock"]

_VERSIONS = (1, 2, 3)
_NODE_MODULES = "node_modules/"


def read_package_lock(
    data: bytes, *, source: str = "", format: str = "package-lock.json"
) -> SbomDocument:
    """The packages a package-lock.json (or npm-shrinkwrap.json, the same format) pins."""
    lock = load_json(data, source=source)
    lockfile_version = lock.get("lockfileVersion")
    if lockfile_version not in _VERSIONS or isinstance(lockfile_version, bool):
        raise InvalidRecord(
            f"unsupported lockfileVersion {lockfile_version!r}: 1, 2 and 3 are read",
            source=source,
            path="$.lockfileVersion",
        )
    packages = PackageList("npm")
    name = text(lock.get("name"))
    installed = lock.get("packages")
    if isinstance(installed, dict):
        root = installed.get("")
        name = text(root.get("name")) if isinstance(root, dict) and root.get("name") else name
        _read_packages(installed, packages)
    elif isinstance(lock.get("dependencies"), dict):
        _read_dependencies(lock["dependencies"], packages)
    return packages.document(
        format=format, encoding="json", format_version=str(lockfile_version), name=name
    )


def _read_packages(installed: dict[str, Any], packages: PackageList) -> None:
    for key, entry in installed.items():
        if key == "":
            continue  # the project itself
        location = f'packages["{key}"]'
        if not isinstance(entry, dict):
            packages.skip(key, "not an object", location=location)
            continue
        if entry.get("link") is True:
            continue
        name = text(entry.get("name")) or key.rpartition(_NODE_MODULES)[2]
        version = text(entry.get("version"))
        resolved = text(entry.get("resolved")) or ""
        if not (key.startswith(_NODE_MODULES) or f"/{_NODE_MODULES}" in key):
            packages.skip(
                name,
                f"a workspace package at {key} (local code)",
                version=version,
                location=location,
            )
        elif resolved.startswith("file:"):
            packages.skip(
                name,
                f"a local package ({resolved}), not a release",
                version=version,
                location=location,
            )
        else:
            packages.add(name, version or "", location=location)


def _read_dependencies(dependencies: dict[str, Any], packages: PackageList) -> None:
    """lockfileVersion 1: the tree of `dependencies`, walked without recursion."""
    stack = [(f'dependencies["{n}"]', n, e) for n, e in dependencies.items()][::-1]
    while stack:
        location, name, entry = stack.pop()
        if not isinstance(entry, dict):
            packages.skip(name, "not an object", location=location)
            continue
        version = text(entry.get("version")) or ""
        if version.startswith("npm:"):  # an alias: "npm:real-name@1.2.3"
            real, _, version = version[len("npm:") :].rpartition("@")
            name = real or name
        if version.startswith(("file:", "link:")):
            packages.skip(name, f"a local package ({version}), not a release", location=location)
        elif ":" in version or "/" in version:
            packages.skip(
                name, f"pinned to a git commit or URL ({version}), not a release", location=location
            )
        else:
            packages.add(name, version, location=location)
        children = entry.get("dependencies")
        if isinstance(children, dict):
            stack.extend(
                reversed([(f'{location}.dependencies["{n}"]', n, e) for n, e in children.items()])
            )
