"""The vendored schemas are byte-for-byte the standard's text in shared/data (drift is caught)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

VENDORED = files("clearinghouse.formats").joinpath("schemas")


@pytest.mark.parametrize(
    ("vendored", "shared"),
    [
        ("osv-schema.json", "osv-schema/schema.json"),
        ("kev-schema.json", "kev/known_exploited_vulnerabilities_schema.json"),
    ],
)
def test_vendored_schema_equals_shared_copy(shared_data: Path, vendored: str, shared: str) -> None:
    assert VENDORED.joinpath(vendored).read_bytes() == (shared_data / shared).read_bytes()
