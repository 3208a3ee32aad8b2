"""Taking reports in through the API: every shape, duplicates linked, known vulnerabilities found,
attachments stored by hash, bad input refused with the field named. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import orjson
import yaml
from sqlalchemy import select

from clearinghouse.audit.chain import verify
from clearinghouse.intake import ingest_paths
from clearinghouse.reports.intake import content_sha256
from clearinghouse.reports.models import LinkKind, ReportLink, ReportTextBand

from .conftest import Site
from .corpus import Record, structured_report

GOLDEN_SARIF = (
    Path(__file__).resolve().parents[1] / "formats" / "golden" / "sarif" / "shop-backend.json"
)


def pypi_record(shared_data: Path, package: str, osv_id: str) -> Record:
    doc = yaml.safe_load((shared_data / "osv" / "pypi" / package / f"{osv_id}.yaml").read_bytes())
    return Record(osv_id, doc, osv_id, "pypi")


def django_report(**extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "Memory exhaustion through Accept-Language headers",
        "description": (
            "The i18n framework in Django before 1.1 allows remote attackers to cause a denial "
            "of service (memory consumption) via many HTTP requests with large Accept-Language "
            "headers."
        ),
        "package": {"ecosystem": "PyPI", "name": "Django"},
        "affected": {
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]
        },
        "cwe": "CWE-400",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "discovered_by": "model",
        "discovered_by_name": "Atlas 2.0",
        "model_run": "run-1",
    }
    body.update(extra)
    return body


def test_a_structured_report_is_taken_in_scored_and_audited(site: Site) -> None:
    body = django_report()
    made = site.submit("lab", body)
    assert made["content_sha256"] == content_sha256(body)
    assert made["status"] == "received" and made["cvss_score"] == 7.5
    report = site.ok("lab", "GET", f"/reports/{made['id']}")
    assert report["view"] == "reporter"
    assert report["package_name"] == "Django" and report["cwe"] == "CWE-400"
    assert report["affected_versions"] == ">= 0, < 1.1"
    assert report["scores"]["ssvc_coordinator"] == "track"
    assert report["scores"]["ssvc"]["points"]["automatable"] == "yes"
    assert report["history"][0]["kind"] == "received"
    assert report["sla_due_at"].startswith("2026-07-03T09:00")  # two days to triage
    with site.db.read_session() as session:
        assert verify(session).ok
        bands = session.scalars(
            select(ReportTextBand).where(ReportTextBand.report_id == made["id"])
        )
        assert len(list(bands)) == 42


def test_exact_and_reworded_duplicates_are_linked_never_dropped(site: Site) -> None:
    first = site.submit("lab", django_report())
    again = site.submit("other_lab", django_report(model_run="run-2"))
    reworded = site.submit(
        "lab",
        django_report(
            model_run="run-3",
            title="DoS via Accept-Language in Django",
            description=(
                "Automated analysis indicates: the i18n framework in Django prior to 1.1 lets a "
                "remote attacker cause a DoS (memory consumption) through many HTTP requests with "
                "large Accept-Language headers."
            ),
            affected={
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0.95"}, {"fixed": "1.1"}]}
                ]
            },
        ),
    )
    unrelated = site.submit(
        "lab",
        django_report(
            title="SQL injection in the admin search",
            description="SQL injection in the admin changelist of Django before 1.11.5 via search.",
            cwe="CWE-89",
        ),
    )
    # Reporters are not told about other reports; the analyst sees the links.
    assert again["duplicate_of_id"] is None and reworded["duplicate_of_id"] is None
    again, reworded, unrelated = (
        site.ok("analyst", "GET", f"/reports/{r['id']}") for r in (again, reworded, unrelated)
    )
    assert again["duplicate_of_id"] == first["id"] and again["duplicate_score"] == 1.0
    assert reworded["duplicate_of_id"] == first["id"]
    assert 0.7 <= reworded["duplicate_score"] < 1.0
    assert unrelated["duplicate_of_id"] is None
    kinds = {(link["kind"], link["report_id"]) for link in reworded["links"]}
    assert ("near_duplicate", first["id"]) in kinds
    everything = site.ok("analyst", "GET", "/reports?status=all&per_page=500")
    assert everything["total"] == 4  # nothing lost


def test_a_report_citing_a_known_vulnerability_is_linked_to_it(
    site: Site, shared_data: Path
) -> None:
    summary = ingest_paths(
        site.db,
        [
            shared_data / "osv" / "pypi" / "pyspark",
            shared_data / "kev" / "known_exploited_vulnerabilities.json",
        ],
        actor="test",
        workers=1,
    )
    assert not summary.rejections
    body = structured_report(
        pypi_record(shared_data, "pyspark", "PYSEC-2019-114"), model_run="r9", identifiers=True
    )
    made = site.submit("researcher", body)
    detail = site.ok("analyst", "GET", f"/reports/{made['id']}")
    assert detail["known_osv_id"] == "PYSEC-2019-114"
    assert {
        "kind": "known_vulnerability",
        "score": 1.0,
        "report_id": None,
        "osv_id": "PYSEC-2019-114",
    } in detail["links"]
    by_text = structured_report(
        pypi_record(shared_data, "pyspark", "PYSEC-2018-25"), model_run="r9"
    )
    found = site.ok("analyst", "GET", f"/reports/{site.submit('researcher', by_text)['id']}")
    assert found["known_osv_id"] == "PYSEC-2018-25"  # by its text, among the package's records


def test_kev_listed_identifiers_mark_the_report_known_exploited(
    site: Site, shared_data: Path
) -> None:
    ingest_paths(
        site.db,
        [shared_data / "kev" / "known_exploited_vulnerabilities.json"],
        actor="t",
        workers=1,
    )
    kev = orjson.loads((shared_data / "kev" / "known_exploited_vulnerabilities.json").read_bytes())
    cve = kev["vulnerabilities"][0]["cveID"]
    made = site.submit("lab", django_report(identifiers=[cve]))
    detail = site.ok("analyst", "GET", f"/reports/{made['id']}")
    assert detail["scores"]["known_exploited"] is True
    assert detail["scores"]["ssvc"]["points"]["exploitation"] == "active"
    assert detail["scores"]["kev_due_date"] == kev["vulnerabilities"][0]["dueDate"]


def test_attachments_are_stored_by_hash_and_come_back_as_downloads(site: Site) -> None:
    poc = b"#!/bin/sh\ncurl -H 'Accept-Language: '$(python -c 'print(\"a\"*10**6)') http://x/\n"
    body = django_report(
        attachments=[
            {
                "filename": "../../poc.sh",
                "media_type": "text/x-shellscript",
                "content_base64": base64.b64encode(poc).decode(),
            }
        ]
    )
    made = site.submit("lab", body)
    detail = site.ok("lab", "GET", f"/reports/{made['id']}")
    (attachment,) = detail["attachments"]
    digest = hashlib.sha256(poc).hexdigest()
    assert attachment["sha256"] == digest and attachment["filename"] == "poc.sh"
    assert (site.blobs / digest[:2] / digest[2:4] / digest).read_bytes() == poc
    download = site.call("lab", "GET", f"/reports/{made['id']}/attachments/{attachment['id']}")
    assert download.status_code == 200 and download.content == poc
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == 'attachment; filename="poc.sh"'
    # Another reporter cannot fetch it, nor learn that it exists.
    assert (
        site.call(
            "other_lab", "GET", f"/reports/{made['id']}/attachments/{attachment['id']}"
        ).status_code
        == 404
    )


BAD_SUBMISSIONS = [
    (
        {"cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"},
        422,
        'Missing mandatory metrics "A"',
    ),
    (
        {"cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:Q"},
        422,
        "$.cvss_vector",
    ),
    ({"cwe": "cross-site scripting"}, 422, "$.cwe"),
    ({"title": ""}, 422, "$.title"),
    (
        {"affected": {"ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.1"}]}]}},
        422,
        "$.affected.ranges[0].events",
    ),
    ({"purl": "not a purl", "package": None}, 422, "$.purl"),
    ({"surprise": 1}, 422, "$.surprise"),
    ({"identifiers": ["CVE 2024 1"]}, 422, "$.identifiers[0]"),
    (
        {"attachments": [{"filename": "x", "content_base64": "A" * (8 * 1024 * 1024)}]},
        413,
        "at most 5 MiB",
    ),
]


def test_bad_submissions_are_refused_naming_the_field(site: Site) -> None:
    for change, status, named in BAD_SUBMISSIONS:
        response = site.call("lab", "POST", "/reports", django_report(**change))
        assert response.status_code == status, (change, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert named in response.json()["detail"], (change, response.json())
    assert site.ok("analyst", "GET", "/reports?status=all")["total"] == 0


def test_anonymous_submissions_and_oversized_bodies_are_refused(site: Site) -> None:
    assert site.call(None, "POST", "/reports", django_report()).status_code == 401
    huge = site.call("lab", "POST", "/reports/import", content=b"x" * (11 * 1024 * 1024))
    assert huge.status_code == 413


def test_an_osv_draft_becomes_one_report(site: Site, shared_data: Path) -> None:
    path = shared_data / "osv" / "pypi" / "jinja2" / "PYSEC-2019-217.yaml"
    response = site.call(
        "researcher",
        "POST",
        "/reports/import?filename=PYSEC-2019-217.yaml",
        content=path.read_bytes(),
    )
    assert response.status_code == 201, response.text
    (made,) = response.json()["reports"]
    detail = site.ok("researcher", "GET", f"/reports/{made['id']}")
    assert detail["source_format"] == "osv"
    assert detail["package_name"] == "jinja2"
    assert "CVE-2019-10906" in detail["identifiers"]


def test_a_sarif_log_becomes_one_report_per_result(site: Site) -> None:
    data = GOLDEN_SARIF.read_bytes()
    response = site.call(
        "lab",
        "POST",
        "/reports/import?filename=scan.sarif&discovered_by=model&model_run=sarif-run",
        content=data,
    )
    assert response.status_code == 201, response.text
    reports = response.json()["reports"]
    assert len(reports) == 7
    assert {r["model_run"] for r in reports} == {"sarif-run"}
    assert {r["source_format"] for r in reports} == {"sarif"}
    assert {r["discovered_by"] for r in reports} == {"model"}
    again = site.call(
        "lab", "POST", "/reports/import?filename=scan.sarif&model_run=rerun", content=data
    )
    # The same results again: every one an exact duplicate of the first run's.
    for made in again.json()["reports"]:
        assert site.ok("analyst", "GET", f"/reports/{made['id']}")["duplicate_score"] == 1.0
    with site.db.read_session() as session:
        kinds = set(session.scalars(select(ReportLink.kind)))
    assert LinkKind.exact in kinds


def test_an_invalid_sarif_log_is_refused_with_its_path(site: Site) -> None:
    bad = orjson.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]})
    response = site.call("lab", "POST", "/reports/import?filename=bad.sarif", content=bad)
    assert response.status_code == 422
    assert "$.runs[0].tool.driver" in response.json()["detail"]
