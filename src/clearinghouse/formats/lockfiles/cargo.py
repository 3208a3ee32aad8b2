"""Read Cargo.lock (Cargo's lock file, TOML): every `[[package]]` from crates.io is a component.

A package without `source` is a crate of the workspace being locked (local code), skipped. One
from another registry is not the crates.io crate of that name, skipped. Git sources are kept: a
fork or pre-release of the crates.io crate of that name.
"""

from __future__ import annotations

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.lockfiles.packages import PackageList, load_toml, text

__all__ = ["read_cargo_lock"]

# The crates.io index, as a git index (before Cargo 1.70) and as a sparse one.
CRATES_IO = frozenset(
    {"registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"}
)


def read_cargo_lock(data: bytes, *, source: str = "") -> SbomDocument:
    """The crates a Cargo.lock pins."""
    lock = load_toml(data, source=source)
    packages = PackageList("crates.io")
    entries = lock.get("package")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        location = f"[[package]] {index + 1}"
        if not isinstance(entry, dict):
            packages.skip("", "not a table", location=location)
            continue
        name, version = text(entry.get("name")) or "", text(entry.get("version"))
        origin = text(entry.get("source"))
        if origin is None:
            packages.skip(
                name, "a crate of the workspace (local code)", version=version, location=location
            )
        elif origin.startswith(("registry+", "sparse+")) and origin not in CRATES_IO:
            packages.skip(
                name, f"from another registry ({origin})", version=version, location=location
            )
        else:
            packages.add(name, version or "", location=location)
    version = lock.get("version")
    return packages.document(
        format="Cargo.lock",
        encoding="toml",
        format_version=str(version) if isinstance(version, int) else None,
    )
