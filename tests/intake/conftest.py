"""Small real inputs for intake tests, taken from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearinghouse.settings import Settings

# A few PyPI packages with aliases shared across records, Go modules and RustSec crates.
PYPI_PACKAGES = ("django", "jinja2", "pillow", "requests", "urllib3")
RUSTSEC_CRATES = ("hyper", "openssl", "smallvec", "time")


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key="test")


@pytest.fixture
def sample_paths(shared_data: Path) -> list[Path]:
    paths = [shared_data / "osv" / "pypi" / name for name in PYPI_PACKAGES]
    paths += sorted((shared_data / "osv" / "go").glob("GO-2024-*.json"))[:200]
    paths += [shared_data / "rustsec" / "crates" / name for name in RUSTSEC_CRATES]
    paths.append(shared_data / "kev" / "known_exploited_vulnerabilities.json")
    missing = [p for p in paths if not p.exists()]
    assert not missing, f"sample inputs missing from shared data: {missing}"
    return paths
