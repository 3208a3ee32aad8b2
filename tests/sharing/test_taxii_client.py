"""The TAXII 2.1 server driven by the real `taxii2-client` over real HTTP, on SQLite and PostgreSQL.

Records are real OSV records from ../shared/data, ingested by the real pipeline; some are
relabelled GREEN, AMBER and RED for a sharing group (directly in the table: labelling is
another area's service, the server only reads labels). A uvicorn server in a thread serves
the whole app on a free loopback port.
"""

from __future__ import annotations

import base64
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
import stix2
import uvicorn
from sqlalchemy import create_engine, select, text, update
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from clearinghouse.api.app import create_app
from clearinghouse.formats.stix import (
    TLP2_EXTENSION_DEFINITION_ID,
    TLP2_MARKINGS,
    record_objects,
    stix_id,
)
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.tokens import create_token
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.sharing.models import SharingGroup, SharingGroupMember
from clearinghouse.sharing.stix_export import stored_records
from clearinghouse.sharing.taxii_collections import CLEAR, GREEN, TAXII_NAMESPACE
from clearinghouse.sharing.taxii_objects import OBJECT_CACHE
from clearinghouse.storage import Database, upgrade
from clearinghouse.storage.models import Base
from clearinghouse.vulnerabilities.models import Vulnerability

FIRST_BATCH = ("django", "pillow", "ansible", "apache-airflow")
LATER_BATCH = ("rdiffweb",)
PEOPLE = {
    "named": ("soc@gridco.example", "gridco", Role.partner),
    "member": ("desk@gridco.example", "gridco", Role.partner),
    "outsider": ("psirt@initech.example", "initech", Role.vendor),
}


@dataclass
class Site:
    base_url: str
    db: Database
    tokens: dict[str, str]
    mark: datetime  # every record of the later batch was added after this instant
    group_id: int
    labels: dict[str, str]  # osv id -> label given

    def server(self, who: str | None = None) -> Server:
        if who is None:
            return Server(f"{self.base_url}/taxii2/")
        return Server(f"{self.base_url}/taxii2/", user="taxii", password=self.tokens[who])

    def root(self, who: str | None = None) -> ApiRoot:
        root = self.server(who).default
        assert root is not None
        return root

    def collection(self, who: str | None, alias: str) -> Collection:
        for collection in self.root(who).collections:
            if collection.alias == alias:
                return collection
        raise AssertionError(f"{who} is not offered {alias}")


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    seeded = {"audit_chain_head", "id_blocks"}
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in seeded)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :h"), {"h": "0" * 64})
        conn.execute(text("UPDATE id_blocks SET next_id = 1"))
    engine.dispose()


def _people(db: Database) -> tuple[dict[str, str], int]:
    tokens: dict[str, str] = {}
    with db.session() as session:
        for slug, kind in (
            ("gridco", OrgKind.critical_infrastructure),
            ("initech", OrgKind.vendor),
            ("acme", OrgKind.vendor),
        ):
            create_organisation(session, slug=slug, name=slug.title(), kind=kind, actor="test")
        users = {}
        for who, (email, org, role) in PEOPLE.items():
            users[who] = create_user(session, email=email, org_slug=org, role=role, actor="test")
            _, tokens[who] = create_token(session, user=users[who], name="taxii", actor="test")
        group = SharingGroup(slug="energy-isac", name="Energy ISAC", created_by="test")
        session.add(group)
        session.flush()
        gridco = users["member"].organisation_id
        session.add(SharingGroupMember(group_id=group.id, organisation_id=gridco, added_by="t"))
        session.add(
            SharingGroupMember(
                group_id=group.id,
                organisation_id=gridco,
                user_id=users["named"].id,
                added_by="t",
            )
        )
        return tokens, group.id


def _label(db: Database, group_id: int) -> dict[str, str]:
    """GREEN, AMBER (group), RED (group) and AMBER+STRICT for some records of the first batch."""
    with db.session() as session:
        acme = session.scalar(text("SELECT id FROM organisations WHERE slug = 'acme'"))
        osv_ids = session.scalars(select(Vulnerability.osv_id).order_by(Vulnerability.osv_id)).all()
        labels: dict[str, str] = {}
        plan = (["GREEN"] * 3 + ["AMBER"] * 2 + ["RED"] + ["CLEAR"] * 4) * 1000
        for osv_id, label in zip(osv_ids, plan, strict=False):
            labels[osv_id] = label
            if label == "CLEAR":
                continue
            group = group_id if label in ("AMBER", "RED") else None
            session.execute(
                update(Vulnerability)
                .where(Vulnerability.osv_id == osv_id)
                .values(tlp=label, owner_org_id=acme, sharing_group_id=group)
            )
        # One GREEN record under embargo: for its owner only, whatever collection is asked.
        embargoed = next(osv_id for osv_id, label in labels.items() if label == "GREEN")
        session.execute(
            update(Vulnerability)
            .where(Vulnerability.osv_id == embargoed)
            .values(embargo_ends_at=datetime.now(UTC) + timedelta(days=30))
        )
        labels[embargoed] = "GREEN embargoed"
    return labels


def _serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, socket.socket, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    return server, thread, sock, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Site]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('taxii') / 'clearinghouse.db'}"
        upgrade(Database(url))
    else:
        url = request.getfixturevalue("postgres_url")
        _reset_postgres(url)
    db = Database(url)
    settings = Settings(database_url=url, secret_key="taxii-tests")
    osv = shared_data / "osv" / "pypi"
    summary = ingest_paths(
        db, [osv / name for name in FIRST_BATCH], actor="test", workers=1, settings=settings
    )
    assert not summary.rejections, summary.rejections
    tokens, group_id = _people(db)
    labels = _label(db, group_id)
    with db.read_session() as session:
        mark = session.scalar(
            select(Vulnerability.updated_at).order_by(Vulnerability.updated_at.desc())
        )
    assert mark is not None
    time.sleep(0.01)
    ingest_paths(db, [osv / n for n in LATER_BATCH], actor="test", workers=1, settings=settings)
    server, thread, sock, base_url = _serve(create_app(settings, db))
    yield Site(base_url, db, tokens, mark, group_id, labels)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    db.dispose()


def _expected_ids(site: Site, label: str, group: int | None = None) -> set[str]:
    """Every object id the collection of `label` should serve, computed apart from the server."""
    with site.db.read_session() as session:
        query = select(Vulnerability).where(
            Vulnerability.tlp == label, Vulnerability.embargo_ends_at.is_(None)
        )
        if group is not None:
            query = query.where(Vulnerability.sharing_group_id == group)
        records = stored_records(session, session.scalars(query).all())
    ids: set[str] = {TLP2_MARKINGS[label].id} if records else set()
    for record in records:
        ids |= {obj["id"] for obj in record_objects(record.document, tlp=label, kev=record.kev)}
    return ids


def _all_objects(collection: Collection, per_request: int, **filters: Any) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for envelope in as_pages(collection.get_objects, per_request=per_request, **filters):
        objects += envelope.get("objects", [])
    return objects


def test_discovery_and_api_root(site: Site) -> None:
    server = site.server()
    assert server.title == "Clearinghouse TAXII 2.1"
    assert [root.url for root in server.api_roots] == [f"{site.base_url}/taxii2/clearinghouse/"]
    root = site.root()
    assert root.versions == ["application/taxii+json;version=2.1"]
    assert root.max_content_length > 0


def test_each_reader_is_offered_its_collections(site: Site) -> None:
    def aliases(who: str | None) -> list[str]:
        return [c.alias for c in site.root(who).collections]

    assert aliases(None) == ["clear"]
    assert aliases("outsider") == ["clear", "green"]
    assert aliases("member") == ["clear", "green", "energy-isac-amber"]
    assert aliases("named") == ["clear", "green", "energy-isac-amber", "energy-isac-red"]
    collection = site.collection("member", "energy-isac-amber")
    assert collection.can_read and not collection.can_write
    assert collection.media_types == ["application/stix+json;version=2.1"]
    assert CLEAR.id == site.collection(None, "clear").id
    assert GREEN.id == site.collection("outsider", "green").id
    assert str(TAXII_NAMESPACE) not in (CLEAR.id, GREEN.id)


@pytest.mark.parametrize(
    ("who", "alias", "label"),
    [
        (None, "clear", "CLEAR"),
        ("outsider", "green", "GREEN"),
        ("member", "energy-isac-amber", "AMBER"),
        ("named", "energy-isac-red", "RED"),
    ],
)
def test_paging_through_a_collection_serves_every_object_once(
    site: Site, who: str | None, alias: str, label: str
) -> None:
    group = site.group_id if label in ("AMBER", "RED") else None
    expected = _expected_ids(site, label, group)
    assert expected
    collection = site.collection(who, alias)
    objects = _all_objects(collection, per_request=37)
    ids = [obj["id"] for obj in objects]
    assert len(ids) == len(set(ids)), "an object was served twice"
    assert set(ids) == expected
    bundle = stix2.parse(
        {
            "type": "bundle",
            "id": "bundle--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
            "objects": objects,
        },
        allow_custom=True,
    )
    assert len(bundle.objects) == len(expected)


def test_added_after_returns_only_the_newer_records(site: Site) -> None:
    collection = site.collection(None, "clear")
    newer = _all_objects(collection, per_request=100, added_after=site.mark)
    names = {obj["name"] for obj in newer if obj["type"] == "vulnerability"}
    with site.db.read_session() as session:
        later = set(
            session.scalars(
                select(Vulnerability.osv_id).where(Vulnerability.updated_at > site.mark)
            ).all()
        )
    assert names == later and later
    everything = _all_objects(collection, per_request=500)
    assert len(newer) < len(everything)
    envelope = collection.get_objects(added_after=site.mark + timedelta(days=1))
    assert envelope["more"] is False and "objects" not in envelope


def test_match_type_id_and_version(site: Site) -> None:
    collection = site.collection(None, "clear")
    vulnerabilities = _all_objects(collection, per_request=200, type="vulnerability")
    assert vulnerabilities and {o["type"] for o in vulnerabilities} == {"vulnerability"}
    with site.db.read_session() as session:
        clear = session.scalars(select(Vulnerability.osv_id).where(Vulnerability.tlp == "CLEAR"))
        assert sorted(o["name"] for o in vulnerabilities) == sorted(clear.all())
    two = _all_objects(collection, per_request=50, type=["course-of-action", "software"])
    assert {o["type"] for o in two} == {"course-of-action", "software"}
    target = vulnerabilities[5]
    found = collection.get_objects(id=target["id"])
    assert [o["id"] for o in found["objects"]] == [target["id"]]
    assert collection.get_objects(id=target["id"], version=target["modified"])["objects"]
    other = datetime(2001, 1, 1)
    assert "objects" not in collection.get_objects(id=target["id"], version=other)
    assert "objects" not in collection.get_objects(spec_version="2.0")


def test_manifest_object_and_versions(site: Site) -> None:
    collection = site.collection("outsider", "green")
    entries: list[dict[str, Any]] = []
    for envelope in as_pages(collection.get_manifest, per_request=40):
        entries += envelope.get("objects", [])
    assert len(entries) == len(_expected_ids(site, "GREEN"))
    entry = next(e for e in entries if e["id"].startswith("vulnerability--"))
    assert entry["media_type"] == "application/stix+json;version=2.1"
    one = collection.get_object(entry["id"])
    assert [o["id"] for o in one["objects"]] == [entry["id"]]
    assert one["objects"][0]["modified"] == entry["version"]
    assert collection.object_versions(entry["id"])["versions"] == [entry["version"]]
    software = next(e for e in entries if e["id"].startswith("software--"))
    assert collection.object_versions(software["id"])["versions"] == [software["version"]]
    (marking,) = [e for e in entries if e["id"].startswith("marking-definition--")]
    assert marking["id"] == TLP2_MARKINGS["GREEN"].id
    assert marking["version"] == "2022-10-01T00:00:00.000Z"
    served = collection.get_object(marking["id"])["objects"][0]
    assert served["extensions"][TLP2_EXTENSION_DEFINITION_ID]["tlp_2_0"] == "green"


def test_a_reader_outside_the_group_sees_none_of_its_objects(site: Site) -> None:
    amber = site.collection("member", "energy-isac-amber")
    red = site.collection("named", "energy-isac-red")
    amber_ids = {o["id"] for o in _all_objects(amber, per_request=100)}
    red_ids = {o["id"] for o in _all_objects(red, per_request=100)}
    assert amber_ids and red_ids
    # The member organisation's people without a name in the group do not get RED.
    assert "energy-isac-red" not in [c.alias for c in site.root("member").collections]
    for who, url in (("outsider", amber.url), ("outsider", red.url), ("member", red.url)):
        with pytest.raises(requests.HTTPError) as refused:
            Collection(url, user="taxii", password=site.tokens[who]).refresh()
        assert refused.value.response.status_code == 404
        assert refused.value.response.json()["http_status"] == "404"
    vulnerability_ids = {i for i in amber_ids | red_ids if i.startswith("vulnerability--")}
    embargoed = next(osv_id for osv_id, label in site.labels.items() if "embargoed" in label)
    vulnerability_ids.add(stix_id("vulnerability", embargoed))
    for alias in ("clear", "green"):
        collection = site.collection("outsider", alias)
        seen = {o["id"] for o in _all_objects(collection, per_request=500)}
        assert not seen & vulnerability_ids
        for object_id in sorted(vulnerability_ids)[:3]:
            with pytest.raises(requests.HTTPError) as missing:
                collection.get_object(object_id)
            assert missing.value.response.status_code == 404


def test_protocol_errors_are_taxii_errors(site: Site) -> None:
    root = f"{site.base_url}/taxii2/clearinghouse/"
    clear = f"{root}collections/{CLEAR.id}/objects/"
    taxii = "application/taxii+json;version=2.1"
    bad_accept = requests.get(root, headers={"Accept": "application/json"}, timeout=10)
    assert bad_accept.status_code == 406
    assert bad_accept.headers["content-type"] == taxii
    assert bad_accept.json()["http_status"] == "406"
    bad_token = requests.get(root, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert bad_token.status_code == 401 and "WWW-Authenticate" in bad_token.headers
    bearer = {"Authorization": f"Bearer {site.tokens['member']}", "Accept": taxii}
    listed = requests.get(f"{root}collections/", headers=bearer, timeout=10)
    assert len(listed.json()["collections"]) == 3
    forged = base64.urlsafe_b64encode(orjson.dumps(["2026-01-01T00:00:00+00:00", -1, 0]))
    for query in (
        "limit=0",
        "limit=x",
        "added_after=yesterday",
        "added_after=2026-01-01T00:00:00",
        "match[version]=soon",
        "next=garbage!",
        f"next={forged.decode()}",
    ):
        response = requests.get(f"{clear}?{query}", headers={"Accept": taxii}, timeout=10)
        assert response.status_code == 400, query
        assert response.json()["title"] == "Bad TAXII request"
    written = requests.post(
        clear,
        data=orjson.dumps({"objects": []}),
        headers={"Accept": taxii, "Content-Type": taxii},
        timeout=10,
    )
    assert written.status_code == 403
    deleted = requests.delete(f"{clear}{stix_id('vulnerability', 'X')}/", timeout=10)
    assert deleted.status_code == 403
    hidden = f"{root}collections/{site.collection('named', 'energy-isac-red').id}/objects/"
    assert requests.post(hidden, headers={"Accept": taxii}, timeout=10).status_code == 404
    wrong = requests.get(root, auth=("taxii", "not-a-token"), timeout=10)
    assert wrong.status_code == 401 and wrong.json()["http_status"] == "401"
    status = requests.get(f"{root}status/{CLEAR.id}/", headers={"Accept": taxii}, timeout=10)
    assert status.status_code == 404
    assert requests.get(f"{site.base_url}/taxii2/other/", timeout=10).status_code == 404
    page = requests.get(f"{clear}?limit=5", headers={"Accept": taxii}, timeout=10)
    assert page.status_code == 200 and page.json()["more"] is True
    assert len(page.json()["objects"]) == 5
    assert page.headers["X-TAXII-Date-Added-First"] <= page.headers["X-TAXII-Date-Added-Last"]


def test_paging_is_stable_while_records_change(site: Site) -> None:
    collection = site.collection(None, "clear")
    first = collection.get_objects(limit=50)
    assert first["more"]
    # A record already served changes: it moves to the end, the cursor neither skips nor repeats.
    served = {o["name"] for o in first["objects"] if o["type"] == "vulnerability"}
    changed = sorted(served)[0]
    with site.db.session() as session:
        session.execute(
            update(Vulnerability)
            .where(Vulnerability.osv_id == changed)
            .values(updated_at=datetime.now(UTC) + timedelta(seconds=1))
        )
    rest: list[dict[str, Any]] = []
    envelope = first
    while envelope.get("more"):
        envelope = collection.get_objects(limit=50, next=envelope["next"])
        rest += envelope.get("objects", [])
    ids = [o["id"] for o in first["objects"]] + [o["id"] for o in rest]
    names = [o["name"] for o in rest if o["type"] == "vulnerability"]
    assert changed in names  # served again, as the update it is
    assert len(ids) - len(set(ids)) >= 1
    assert set(ids) == _expected_ids(site, "CLEAR")


def test_throughput(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    """Figures, not assertions on time: objects per second and page latency, cold and warm."""
    collection = site.collection(None, "clear")
    for per_request, cache in ((100, "cold"), (100, "warm"), (1000, "cold"), (1000, "warm")):
        if cache == "cold":
            OBJECT_CACHE.entries.clear()
        latencies: list[float] = []
        count = 0
        started = time.perf_counter()
        envelope: dict[str, Any] = {"more": True}
        token: str | None = None
        while envelope.get("more"):
            began = time.perf_counter()
            envelope = collection.get_objects(limit=per_request, next=token)
            latencies.append(time.perf_counter() - began)
            count += len(envelope.get("objects", []))
            token = envelope.get("next")
        elapsed = time.perf_counter() - started
        with capsys.disabled():
            print(
                f"\n[taxii {site.db.engine.dialect.name}] limit={per_request} {cache}: {count} "
                f"objects in {len(latencies)} pages, {count / elapsed:.0f} objects/s, page "
                f"latency median {statistics.median(latencies) * 1000:.1f} ms, "
                f"max {max(latencies) * 1000:.1f} ms"
            )
        assert count == len(_expected_ids(site, "CLEAR"))
