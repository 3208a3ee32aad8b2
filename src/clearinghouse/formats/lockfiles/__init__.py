"""Lockfile readers: one small module per format, each `bytes -> SbomDocument`.

`LOCKFILES` maps the file name each tool writes to its reader (requirements files are told by
`is_requirements_file`, since people name them freely).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.lockfiles.cargo import read_cargo_lock
from clearinghouse.formats.lockfiles.go import read_go_mod, read_go_module, read_go_sum
from clearinghouse.formats.lockfiles.npm import read_package_lock
from clearinghouse.formats.lockfiles.pipfile import read_pipfile_lock
from clearinghouse.formats.lockfiles.poetry import read_poetry_lock
from clearinghouse.formats.lockfiles.requirements import read_requirements_txt
from clearinghouse.formats.lockfiles.uv import read_uv_lock
from clearinghouse.formats.lockfiles.yarn import read_yarn_lock

__all__ = [
    "LOCKFILES",
    "LockfileReader",
    "is_requirements_file",
    "read_cargo_lock",
    "read_go_mod",
    "read_go_module",
    "read_go_sum",
    "read_package_lock",
    "read_pipfile_lock",
    "read_poetry_lock",
    "read_requirements_txt",
    "read_shrinkwrap",
    "read_uv_lock",
    "read_yarn_lock",
]

LockfileReader = Callable[..., SbomDocument]


def read_shrinkwrap(data: bytes, *, source: str = "") -> SbomDocument:
    """npm-shrinkwrap.json: a package-lock.json that is published with the package."""
    return read_package_lock(data, source=source, format="npm-shrinkwrap.json")


# File name (lower case) -> reader.
LOCKFILES: dict[str, LockfileReader] = {
    "poetry.lock": read_poetry_lock,
    "uv.lock": read_uv_lock,
    "pipfile.lock": read_pipfile_lock,
    "package-lock.json": read_package_lock,
    "npm-shrinkwrap.json": read_shrinkwrap,
    "yarn.lock": read_yarn_lock,
    "cargo.lock": read_cargo_lock,
    "go.mod": read_go_mod,
    "go.sum": read_go_sum,
}

# requirements.txt, requirements-dev.txt, dev-requirements.txt, requirements/prod.txt is not
# matched by name alone (any .txt), but constraints.txt is pip's pinned list too.
_REQUIREMENTS = re.compile(r"(?:.*[-_.])?(?:requirements|constraints)(?:[-_.].*)?\.txt")


def is_requirements_file(name: str) -> bool:
    """Whether a file name (without folders, any case) is one people give pip requirements."""
    return _REQUIREMENTS.fullmatch(name.lower()) is not None
