"""Issue 3, acceptance 5: `POST /v1/querybatch` answers the same ids as `clearinghouse scan`.

Every PyPI and Go record in ../shared/data is stored; the SBOM names each package of the data at
up to three versions taken from its records (a listed affected version, an introduced one and
a fixed one), so that both answers and non-answers are compared. The scan runs as the real CLI
in a subprocess (JSON output); the batch goes to the real app over HTTP, 1,000 queries at a
time, by purl.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from clearinghouse.api.app import create_app
from clearinghouse.formats import load_osv_json, load_osv_yaml
from clearinghouse.intake import ingest_paths
from clearinghouse.matching.purl import to_purl
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _records(shared_data: Path) -> list[dict[str, Any]]:
    pypi = sorted((shared_data / "osv" / "pypi").rglob("*.yaml"))
    go = sorted((shared_data / "osv" / "go").glob("*.json"))
    return [load_osv_yaml(p.read_bytes(), source=str(p)) for p in pypi] + [
        load_osv_json(p.read_bytes(), source=str(p)) for p in go
    ]


def _versions_to_ask(records: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    asked: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in records:
        for affected in record.get("affected") or ():
            package = affected.get("package") or {}
            key = (package.get("ecosystem", ""), package.get("name", ""))
            if key[0] not in ("PyPI", "Go") or not key[1]:
                continue
            picks = list(affected.get("versions") or ())[:1]
            for osv_range in affected.get("ranges") or ():
                for event in osv_range.get("events") or ():
                    picks += [v for k, v in event.items() if k in ("introduced", "fixed")]
            picks = [str(v) for v in picks if str(v) != "0"]
            asked[key].update(picks[:3])
    return asked


def _sbom(asked: dict[tuple[str, str], set[str]]) -> tuple[bytes, list[str]]:
    purls = sorted(
        {
            to_purl(eco, name, version)
            for (eco, name), versions in asked.items()
            for version in versions
        }
    )
    components = [
        {"type": "library", "bom-ref": f"c{i}", "name": purl.split("@")[0], "purl": purl}
        for i, purl in enumerate(purls)
    ]
    for component, purl in zip(components, purls, strict=True):
        component["version"] = purl.rsplit("@", 1)[1]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": components,
    }
    return orjson.dumps(document), purls


async def test_querybatch_and_scan_answer_the_same_records(
    db: Database, db_url: str, shared_data: Path, tmp_path: Path
) -> None:
    records = _records(shared_data)
    summary = ingest_paths(
        db, [shared_data / "osv" / "pypi", shared_data / "osv" / "go"], actor="test", workers=0
    )
    assert not summary.rejections
    sbom, purls = _sbom(_versions_to_ask(records))
    path = tmp_path / "bom.json"
    path.write_bytes(sbom)

    env = {**os.environ, "CLEARINGHOUSE_DATABASE_URL": db_url}
    scan = subprocess.run(
        [sys.executable, "-m", "clearinghouse", "scan", str(path), "--format", "json"],
        capture_output=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert scan.returncode == 0, scan.stderr.decode()
    report = orjson.loads(scan.stdout)
    from_scan: dict[str, set[str]] = defaultdict(set)
    for finding in report["findings"]:
        from_scan[finding["component"]["purl"]].update(finding["records"])
    unread = {s["purl"] for s in report["document"]["skipped"]}

    app = create_app(Settings(database_url=db_url, secret_key="test"))
    from_batch: dict[str, set[str]] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for start in range(0, len(purls), 1000):
            chunk = purls[start : start + 1000]
            queries = [{"package": {"purl": purl}} for purl in chunk]
            response = await http.post("/v1/querybatch", json={"queries": queries})
            assert response.status_code == 200, response.text
            for purl, result in zip(chunk, response.json()["results"], strict=True):
                from_batch[purl] = {v["id"] for v in result.get("vulns") or ()}
    app.state.db.dispose()

    compared = [p for p in purls if p not in unread]
    differences = {
        p: (sorted(from_scan.get(p, set())), sorted(from_batch[p]))
        for p in compared
        if from_scan.get(p, set()) != from_batch[p]
    }
    assert not differences, list(differences.items())[:5]
    answered = sum(1 for p in compared if from_batch[p])
    assert len(compared) > 6_000
    assert answered > 2_000  # many answers, not all empty
    assert len(compared) - answered > 1_000  # and many non-answers
    print(
        f"\n{len(compared):,} package versions compared, "
        f"{sum(len(v) for v in from_batch.values()):,} record ids, 0 differences; "
        f"{answered:,} with records; {len(unread)} versions unreadable by both"
    )
