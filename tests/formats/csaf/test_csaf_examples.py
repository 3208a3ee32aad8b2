"""Every CSAF 2.0 example advisory of the OASIS TC (Red Hat, Cisco, BSI, VEX) is valid."""

from __future__ import annotations

import pytest
from csaf_data import EXAMPLES

from clearinghouse.formats.csaf import load_csaf, validate_csaf

EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.json")) if EXAMPLES.is_dir() else []


def test_the_examples_are_there() -> None:
    assert len(EXAMPLE_FILES) == 19, EXAMPLES


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[path.name for path in EXAMPLE_FILES])
def test_example_is_valid(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    report = validate_csaf(load_csaf(path.read_bytes()))
    assert report.valid, [str(failure) for failure in report.failures]
    assert report.failures == []
