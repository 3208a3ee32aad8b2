"""`clearinghouse csaf validate FILE [--json]`: exit 0 valid, 1 invalid, 2 unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app

MANDATORY = Path("csaf") / "2.0" / "test" / "validator" / "data" / "mandatory"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def suite_file(shared_data: Path, name: str) -> Path:
    path = shared_data / MANDATORY / f"oasis_csaf_tc-csaf_2_0-2021-{name}.json"
    assert path.is_file(), path
    return path


def test_a_valid_document_exits_0(runner: CliRunner, shared_data: Path) -> None:
    result = runner.invoke(app, ["csaf", "validate", str(suite_file(shared_data, "6-1-01-11"))])
    assert result.exit_code == 0, result.output
    assert "valid CSAF 2.0" in result.output


def test_an_invalid_document_exits_1_naming_test_path_and_reason(
    runner: CliRunner, shared_data: Path
) -> None:
    result = runner.invoke(app, ["csaf", "validate", str(suite_file(shared_data, "6-1-01-01"))])
    assert result.exit_code == 1, result.output
    assert (
        "6.1.1 /product_tree/product_groups/0/product_ids/0: "
        "product id 'CSAFPID-9080700' is not defined" in result.output
    )
    assert "invalid: 2 failures (6.1.1)" in result.output


def test_json_output_lists_every_failure(runner: CliRunner, shared_data: Path) -> None:
    result = runner.invoke(
        app, ["csaf", "validate", "--json", str(suite_file(shared_data, "6-1-08-03"))]
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert {(f["test"], f["path"]) for f in report["failures"]} == {
        ("schema", "/vulnerabilities/0/scores/0/cvss_v2"),
        ("6.1.8", "/vulnerabilities/0/scores/0/cvss_v2"),
    }


def test_json_output_of_a_valid_document(runner: CliRunner, shared_data: Path) -> None:
    path = shared_data / "csaf" / "2.0" / "examples" / "csaf" / "bsi-2022-0001.json"
    result = runner.invoke(app, ["csaf", "validate", str(path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"valid": True, "failures": []}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"document": {}, "document": {}}', "appears twice"),
        (b'["a list"]', "JSON object"),
    ],
)
def test_unreadable_documents_exit_2(
    runner: CliRunner, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "advisory.json"
    path.write_bytes(content)
    result = runner.invoke(app, ["csaf", "validate", str(path)])
    assert result.exit_code == 2
    assert message in result.output


def test_a_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["csaf", "validate", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert "No such file" in result.output


def test_a_file_over_20_mib_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(20 * 1024 * 1024 + 1)  # sparse: no 20 MiB written to disk
    result = runner.invoke(app, ["csaf", "validate", str(path)])
    assert result.exit_code == 2
    assert "limited to 20,971,520" in result.output
