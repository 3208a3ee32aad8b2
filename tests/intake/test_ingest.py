"""Ingest real feeds: counts, idempotence, history, aliases, KEV, provenance, rejections."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import orjson
from sqlalchemy import func, select

from clearinghouse.audit import verify
from clearinghouse.formats import dump_osv
from clearinghouse.identity import local_operator
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import (
    AffectedPackage,
    AliasLink,
    KevEntry,
    Vulnerability,
    VulnerabilityRevision,
)
from clearinghouse.vulnerabilities.store import find_group, search_vulnerabilities


def _count(db: Database, model: type) -> int:
    with db.read_session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_real_feeds_ingest_then_a_second_run_changes_nothing(
    db: Database, settings: Settings, sample_paths: list[Path]
) -> None:
    first = ingest_paths(db, sample_paths, settings=settings, workers=0)
    assert first.counts["rejected"] == 0, first.rejections[:5]
    assert first.counts["added"] + first.counts["withdrawn"] > 300
    assert first.kev["added"] == 1404
    stored = _count(db, Vulnerability)
    assert stored == first.counts["added"] + first.counts["withdrawn"]

    second = ingest_paths(db, sample_paths, settings=settings, workers=0)
    assert second.counts["unchanged"] == stored
    assert second.kev["unchanged"] == 1404
    for status in ("added", "updated", "withdrawn", "rejected", "stale"):
        assert second.counts[status] == 0, status
    assert _count(db, Vulnerability) == stored
    with db.read_session() as session:
        assert verify(session).ok


def test_worker_processes_give_the_same_result_as_inline(
    db: Database, settings: Settings, shared_data: Path
) -> None:
    paths = [shared_data / "osv" / "pypi" / "django"]
    summary = ingest_paths(db, paths, settings=settings, workers=1)
    assert summary.counts["added"] == len(list(paths[0].glob("*.yaml")))
    assert summary.counts["rejected"] == 0


def test_every_alias_resolves_to_one_group_holding_the_record(
    db: Database, settings: Settings, sample_paths: list[Path]
) -> None:
    ingest_paths(db, sample_paths, settings=settings, workers=0)
    operator = local_operator()
    with db.read_session() as session:
        records = session.execute(select(Vulnerability.osv_id, Vulnerability.document)).all()
        for osv_id, document in records:
            aliases = orjson.loads(document).get("aliases") or []
            groups = {find_group(session, a, operator).group_id for a in [osv_id, *aliases]}
            assert len(groups) == 1, (osv_id, aliases)
            group = find_group(session, aliases[0] if aliases else osv_id, operator)
            assert osv_id in {r.osv_id for r in group.records}
            assert set(aliases) <= set(group.aliases)


def test_records_sharing_an_alias_share_a_group(
    db: Database, settings: Settings, shared_data: Path
) -> None:
    ingest_paths(db, [shared_data / "osv" / "pypi" / "django"], settings=settings, workers=0)
    with db.read_session() as session:
        # PYSEC records of django alias GHSA ids and CVE ids: the CVE resolves to the PYSEC.
        row = session.execute(
            select(Vulnerability.osv_id, Vulnerability.document).where(
                Vulnerability.osv_id.like("PYSEC-%")
            )
        ).first()
        assert row is not None
        cve = next(a for a in orjson.loads(row.document)["aliases"] if a.startswith("CVE-"))
        group = find_group(session, cve.lower(), local_operator())
        assert row.osv_id in {r.osv_id for r in group.records}


def test_kev_marks_the_matching_records_known_exploited(
    db: Database, settings: Settings, shared_data: Path
) -> None:
    kev = shared_data / "kev" / "known_exploited_vulnerabilities.json"
    catalog = json.loads(kev.read_bytes())
    kev_ids = {v["cveID"] for v in catalog["vulnerabilities"]}
    # Find real OSV records whose aliases name a KEV CVE, and ingest just those.
    hits = []
    for path in sorted((shared_data / "osv" / "go").glob("*.json")):
        record = orjson.loads(path.read_bytes())
        if kev_ids & set(record.get("aliases") or ()):
            hits.append(path)
    assert hits, "the shared data should hold Go records of known-exploited CVEs"
    summary = ingest_paths(db, [*hits, kev], settings=settings, workers=0)
    assert summary.counts["rejected"] == 0
    with db.read_session() as session:
        for path in hits:
            record = orjson.loads(path.read_bytes())
            group = find_group(session, record["id"], local_operator())
            assert group.kev is not None, record["id"]
            entry = next(v for v in catalog["vulnerabilities"] if v["cveID"] == group.kev.cve_id)
            assert str(group.kev.due_date) == entry["dueDate"]
            assert str(group.kev.date_added) == entry["dateAdded"]
        page = search_vulnerabilities(session, local_operator(), kev=True, per_page=200)
        assert {item.osv_id for item in page.items} >= {
            orjson.loads(p.read_bytes())["id"] for p in hits
        }
        assert all(item.known_exploited for item in page.items)
        assert session.scalar(select(func.count()).select_from(KevEntry)) == len(kev_ids)


def test_a_newer_modified_replaces_the_record_and_keeps_its_history(
    db: Database, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    original = sorted((shared_data / "osv" / "go").glob("*.json"))[0]
    record = orjson.loads(original.read_bytes())
    first = tmp_path / "v1" / original.name
    first.parent.mkdir()
    record["modified"] = "2024-01-01T00:00:00Z"
    first.write_bytes(orjson.dumps(record))
    ingest_paths(db, [first], settings=settings, workers=0)

    newer = tmp_path / "v2" / original.name
    newer.parent.mkdir()
    record["modified"] = "2024-06-01T00:00:00Z"
    record["summary"] = "A corrected summary"
    newer.write_bytes(orjson.dumps(record))
    summary = ingest_paths(db, [newer], settings=settings, workers=0)
    assert summary.counts["updated"] == 1

    older = tmp_path / "v0" / original.name
    older.parent.mkdir()
    record["modified"] = "2023-01-01T00:00:00Z"
    record["summary"] = "An outdated copy"
    older.write_bytes(orjson.dumps(record))
    summary = ingest_paths(db, [older], settings=settings, workers=0)
    assert summary.counts["stale"] == 1 and summary.counts["updated"] == 0

    with db.read_session() as session:
        stored = session.scalars(select(Vulnerability)).one()
        assert stored.summary == "A corrected summary"
        assert stored.source_file == str(newer)
        revisions = session.scalars(select(VulnerabilityRevision)).all()
        assert len(revisions) == 1
        assert orjson.loads(revisions[0].document)["modified"] == "2024-01-01T00:00:00Z"
        assert revisions[0].source_file == str(first)


def test_a_bad_record_is_rejected_with_its_file_and_the_rest_goes_on(
    db: Database, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    good = sorted((shared_data / "osv" / "go").glob("*.json"))[:3]
    folder = tmp_path / "feed"
    folder.mkdir()
    for path in good:
        (folder / path.name).write_bytes(path.read_bytes())
    bad = orjson.loads(good[0].read_bytes())
    bad["id"] = "GO-2099-0001"
    bad["aliases"] = 5
    (folder / "GO-2099-0001.json").write_bytes(orjson.dumps(bad))
    (folder / "truncated.json").write_bytes(good[1].read_bytes()[:200])
    summary = ingest_paths(db, [folder], settings=settings, workers=0)
    assert summary.counts["added"] == 3
    assert summary.counts["rejected"] == 2
    reasons = {Path(r.source).name: r.reason for r in summary.rejections}
    assert "$.aliases" in reasons["GO-2099-0001.json"]
    assert "truncated.json" in reasons
    assert _count(db, Vulnerability) == 3


def test_provenance_and_packages_are_stored(
    db: Database, settings: Settings, shared_data: Path
) -> None:
    folder = shared_data / "osv" / "pypi" / "jinja2"
    ingest_paths(db, [folder], settings=settings, workers=0)
    with db.read_session() as session:
        for row in session.scalars(select(Vulnerability)):
            assert row.source == "osv-yaml"
            assert row.source_file.startswith(str(folder))
            assert row.ingested_at is not None
            document = orjson.loads(row.document)
            assert row.content_hash == hashlib.sha256(dump_osv(document)).hexdigest()
        packages = session.scalars(select(AffectedPackage.name_key)).all()
        assert set(packages) == {"jinja2"}
        assert session.scalar(select(func.count()).select_from(AliasLink)) > 0
