"""Golden files for the format readers: compare by default, rewrite with --update-golden."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

GOLDEN = Path(__file__).parent / "golden"
DATA = Path(__file__).parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/formats/golden/ from the current output instead of comparing",
    )


def golden_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, Any], None]:
    """`golden("rustsec/RUSTSEC-2020-0105", doc)`: compare with the stored file, showing a diff."""
    update = bool(request.config.getoption("--update-golden", default=False))

    def check(name: str, value: Any) -> None:
        path = GOLDEN / f"{name}.json"
        actual = golden_text(value)
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"no golden file {path}; run pytest tests/formats --update-golden")
        expected = path.read_text(encoding="utf-8")
        if actual != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    actual.splitlines(keepends=True),
                    fromfile=f"golden/{name}.json",
                    tofile="actual",
                )
            )
            pytest.fail(f"output differs from golden/{name}.json:\n{diff}", pytrace=False)

    return check
