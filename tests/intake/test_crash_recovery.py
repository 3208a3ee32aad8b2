"""SIGKILL in the middle of a large ingest, then a rerun: complete, no duplicate, no half record."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from clearinghouse.audit import verify
from clearinghouse.formats import dump_osv
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import AffectedPackage, AliasLink, Vulnerability

REPO = Path(__file__).resolve().parents[2]
RECORDS = 30_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "make_osv_corpus.py"),
            "--records",
            str(RECORDS),
            "--out",
            str(out),
            "--data",
            str(shared_data),
        ],
        check=True,
        capture_output=True,
    )
    return out


def _stored(db: Database) -> int:
    with db.read_session() as session:
        return session.scalar(select(func.count()).select_from(Vulnerability)) or 0


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_leaves_a_complete_consistent_store(
    db: Database, db_url: str, corpus: Path
) -> None:
    env = {**os.environ, "CLEARINGHOUSE_DATABASE_URL": db_url}
    command = [sys.executable, "-m", "clearinghouse", "ingest", str(corpus), "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _stored(db) < 3000:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # The worker processes die with their parent's pipes; give them a moment.
    time.sleep(0.5)
    partial = _stored(db)
    assert 0 < partial < RECORDS, "the kill should land in the middle of the run"

    rerun = subprocess.run(command, env=env, capture_output=True, check=True)
    summary = orjson.loads(rerun.stdout)
    assert summary["rejected"] == 0
    assert summary["added"] + summary["withdrawn"] == RECORDS - partial
    assert summary["unchanged"] == partial

    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Vulnerability)) == RECORDS
        distinct = session.scalar(select(func.count(func.distinct(Vulnerability.osv_id))))
        assert distinct == RECORDS
        packages = {
            vulnerability_id: count
            for vulnerability_id, count in session.execute(
                select(AffectedPackage.vulnerability_id, func.count()).group_by(
                    AffectedPackage.vulnerability_id
                )
            )
        }
        links = set(session.scalars(select(AliasLink.alias)))
        for row in session.execute(
            select(
                Vulnerability.id,
                Vulnerability.osv_id,
                Vulnerability.document,
                Vulnerability.content_hash,
            )
        ):
            document = orjson.loads(row.document)
            assert hashlib.sha256(dump_osv(document)).hexdigest() == row.content_hash
            expected = len(
                {
                    (a["package"]["ecosystem"], a["package"]["name"])
                    for a in document.get("affected") or ()
                    if a.get("package")
                }
            )
            assert packages.get(row.id, 0) == expected, row.osv_id
            assert row.osv_id in links
            assert set(document.get("aliases") or ()) <= links
        assert verify(session).ok
