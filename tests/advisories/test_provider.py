"""The CSAF trusted-provider layout over HTTP, against the real app on SQLite and PostgreSQL.

Published versions are written directly (the CSAF examples of the standard, signed with
the instance key), as the advisory service would store them; readers are real users
with real bearer tokens; signatures are checked with `gpg --verify`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from cryptography.fernet import Fernet
from referencing import Registry, Resource

from clearinghouse.advisories import provider_layout as layout
from clearinghouse.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion
from clearinghouse.advisories.signing import instance_signer
from clearinghouse.api.app import create_app
from clearinghouse.clock import ManualClock
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.tokens import create_token
from clearinghouse.settings import Settings
from clearinghouse.sharing.models import SharingGroup, SharingGroupMember
from clearinghouse.storage import Database

from .test_signing import gpg_verify

pytestmark = pytest.mark.anyio
NOW = datetime.now(UTC).replace(microsecond=0)
CSAF = "/.well-known/csaf"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Site:
    http: httpx.AsyncClient
    owner: dict[str, str]  # headers of a user of the owner organisation
    member: dict[str, str]  # a user of an organisation in the sharing group
    outsider: dict[str, str]  # a user of another organisation of the instance
    served: dict[str, bytes]  # tracking id -> the bytes its newest version holds
    older: bytes  # an older version's bytes, which must not be served


def _example(shared_data: Path, name: str) -> str:
    return (shared_data / "csaf" / "2.0" / "examples" / "csaf" / name).read_text()


def _token(session: Any, email: str, org: str, role: Role) -> dict[str, str]:
    user = create_user(session, email=email, org_slug=org, role=role, actor="test")
    _, secret = create_token(session, user=user, name="tests", actor="test")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def site(db: Database, shared_data: Path) -> AsyncIterator[Site]:
    settings = Settings(
        database_url=db.url, secret_key="test", encryption_key=Fernet.generate_key().decode()
    )
    signer = instance_signer(settings, db=db)
    bsi = _example(shared_data, "bsi-2022-0001.json")
    older = json.dumps(json.loads(bsi), separators=(",", ":"))
    with db.session() as session:
        orgs = {
            slug: create_organisation(session, slug=slug, name=slug, kind=kind, actor="test")
            for slug, kind in (
                ("vendorco", OrgKind.vendor),
                ("gridco", OrgKind.critical_infrastructure),
                ("otherco", OrgKind.research),
            )
        }
        group = SharingGroup(slug="grid-partners", name="Grid partners", created_by="test")
        session.add(group)
        session.flush()
        session.add(
            SharingGroupMember(
                group_id=group.id, organisation_id=orgs["gridco"].id, added_by="test"
            )
        )
        owner = _token(session, "psirt@vendorco.example", "vendorco", Role.vendor)
        member = _token(session, "soc@gridco.example", "gridco", Role.partner)
        outsider = _token(session, "someone@otherco.example", "otherco", Role.reporter)

        def publish(
            tracking_id: str,
            document: str,
            tlp: str,
            *,
            version: str = "1",
            embargo: datetime | None = None,
            at: datetime = NOW - timedelta(days=1),
        ) -> None:
            advisory = session.query(Advisory).filter_by(tracking_id=tracking_id).one_or_none()
            if advisory is None:
                advisory = Advisory(
                    tracking_id=tracking_id,
                    title=tracking_id,
                    tlp=tlp,
                    owner_org_id=orgs["vendorco"].id,
                    sharing_group_id=group.id,
                    created_by="test",
                )
                session.add(advisory)
                session.flush()
            data = document.encode()
            session.add(
                AdvisoryVersion(
                    advisory_id=advisory.id,
                    version=version,
                    status=AdvisoryStatus.final,
                    document=document,
                    sha256=hashlib.sha256(data).hexdigest(),
                    sha512=hashlib.sha512(data).hexdigest(),
                    signature=signer.sign_detached(data),
                    tlp=tlp,
                    owner_org_id=orgs["vendorco"].id,
                    sharing_group_id=group.id,
                    embargo_ends_at=embargo,
                    published_at=at,
                    published_by="test",
                )
            )
            session.flush()

        publish("BSI-2022-0001", older, "CLEAR", at=NOW - timedelta(days=3))
        publish("BSI-2022-0001", bsi, "CLEAR", version="2")
        cisco = _example(shared_data, "cisco-sa-20180328-smi2.json")
        publish("cisco-sa-20180328-smi2", cisco, "AMBER")
        rhsa_green = _example(shared_data, "rhsa-2021_5186.json")
        publish("RHSA-2021:5186", rhsa_green, "GREEN")
        rhsa_embargoed = _example(shared_data, "rhsa-2022_0011.json")
        publish("RHSA-2022:0011", rhsa_embargoed, "CLEAR", embargo=NOW + timedelta(days=7))

    app = create_app(settings, db=db, clock=ManualClock(NOW))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://csaf.test") as http:
        yield Site(
            http=http,
            owner=owner,
            member=member,
            outsider=outsider,
            served={
                "BSI-2022-0001": bsi.encode(),
                "cisco-sa-20180328-smi2": cisco.encode(),
                "RHSA-2021:5186": rhsa_green.encode(),
                "RHSA-2022:0011": rhsa_embargoed.encode(),
            },
            older=older.encode(),
        )


BSI = "2022/bsi-2022-0001.json"
CISCO = "2018/cisco-sa-20180328-smi2.json"
RHSA_GREEN = "2021/rhsa-2021_5186.json"
RHSA_EMBARGOED = "2022/rhsa-2022_0011.json"


def provider_schema_validator(shared_data: Path) -> jsonschema.protocols.Validator:
    root = shared_data / "csaf" / "2.0"
    csaf = root / "json_schema" / "csaf_json_schema.json"
    schemas = {"https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json": csaf}
    for version in ("2.0", "3.0", "3.1"):
        url = f"https://www.first.org/cvss/cvss-v{version}.json"
        schemas[url] = root / "referenced_schema" / "first" / f"cvss-v{version}.json"
    registry: Registry = Registry()
    for url, path in schemas.items():
        contents = json.loads(path.read_text())
        registry = registry.with_resource(url, Resource.from_contents(contents))
    schema = json.loads((root / "json_schema" / "provider_json_schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


async def test_provider_metadata_validates_and_names_the_key_that_signs(
    site: Site, shared_data: Path, tmp_path: Path
) -> None:
    response = await site.http.get(f"{CSAF}/provider-metadata.json")
    assert response.status_code == 200
    metadata = response.json()
    errors = [e.message for e in provider_schema_validator(shared_data).iter_errors(metadata)]
    assert errors == []
    assert metadata["role"] == "csaf_trusted_provider"
    assert metadata["canonical_url"] == f"https://csaf.test{CSAF}/provider-metadata.json"
    feeds = metadata["distributions"][1]["rolie"]["feeds"]
    assert [f["tlp_label"] for f in feeds] == ["WHITE", "GREEN", "AMBER", "RED"]

    (key,) = metadata["public_openpgp_keys"]
    served_key = await site.http.get(key["url"])
    assert served_key.status_code == 200
    assert "BEGIN PGP PUBLIC KEY BLOCK" in served_key.text
    assert "PRIVATE" not in served_key.text

    document = await site.http.get(f"{CSAF}/white/{BSI}")
    signature = await site.http.get(f"{CSAF}/white/{BSI}.asc")
    verified = gpg_verify(served_key.text, signature.text, document.content, tmp_path / "gpg")
    assert verified.returncode == 0, verified.stderr
    assert f"VALIDSIG {key['fingerprint']}" in verified.stdout


async def test_the_white_folder_lists_exactly_what_anyone_may_read(site: Site) -> None:
    index = await site.http.get(f"{CSAF}/white/index.txt")
    assert index.status_code == 200
    # Not the AMBER or GREEN ones, and not the CLEAR one still under embargo.
    assert index.text.splitlines() == [BSI]
    changes = await site.http.get(f"{CSAF}/white/changes.csv")
    assert list(csv.reader(io.StringIO(changes.text))) == [[BSI, "2022-03-17T13:03:42.105Z"]]
    assert changes.text.startswith('"2022/bsi-2022-0001.json","')


async def test_each_listed_file_has_matching_hashes_and_a_signature_gpg_accepts(
    site: Site, tmp_path: Path
) -> None:
    key = (await site.http.get(f"{CSAF}/provider-metadata.json")).json()["public_openpgp_keys"][0]
    public_key = (await site.http.get(key["url"])).text
    readers = {"white": {}, "amber": site.member, "green": site.outsider}
    checked = 0
    for folder, headers in readers.items():
        index = await site.http.get(f"{CSAF}/{folder}/index.txt", headers=headers)
        for path in index.text.splitlines():
            url = f"{CSAF}/{folder}/{path}"
            body = (await site.http.get(url, headers=headers)).content
            name = path.rsplit("/", 1)[1]
            sha256 = (await site.http.get(f"{url}.sha256", headers=headers)).text
            sha512 = (await site.http.get(f"{url}.sha512", headers=headers)).text
            assert sha256 == f"{hashlib.sha256(body).hexdigest()}  {name}\n"
            assert sha512 == f"{hashlib.sha512(body).hexdigest()}  {name}\n"
            signature = (await site.http.get(f"{url}.asc", headers=headers)).text
            result = gpg_verify(public_key, signature, body, tmp_path / f"gpg{checked}")
            assert result.returncode == 0, (url, result.stderr)
            checked += 1
    assert checked == 3


async def test_the_newest_version_is_served_at_its_path(site: Site) -> None:
    served = await site.http.get(f"{CSAF}/white/{BSI}")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    assert served.content == site.served["BSI-2022-0001"]
    assert served.content != site.older


async def test_an_amber_file_is_hidden_from_anonymous_and_outsiders_and_read_by_its_group(
    site: Site,
) -> None:
    url = f"{CSAF}/amber/{CISCO}"
    anonymous = await site.http.get(url)
    missing = await site.http.get(f"{CSAF}/amber/2018/no-such-advisory.json")
    assert anonymous.status_code == missing.status_code == 404
    assert anonymous.json()["type"] == missing.json()["type"]
    assert anonymous.json()["title"] == missing.json()["title"]
    for suffix in (".sha256", ".sha512", ".asc"):
        assert (await site.http.get(url + suffix)).status_code == 404

    # The folder is named in provider-metadata.json: an anonymous reader is asked to log in.
    listing = await site.http.get(f"{CSAF}/amber/index.txt")
    assert listing.status_code == 401
    assert listing.headers["www-authenticate"] == "Bearer"

    outsider_index = await site.http.get(f"{CSAF}/amber/index.txt", headers=site.outsider)
    assert outsider_index.status_code == 200 and outsider_index.text == ""
    assert (await site.http.get(url, headers=site.outsider)).status_code == 404

    for reader in (site.member, site.owner):
        index = await site.http.get(f"{CSAF}/amber/index.txt", headers=reader)
        assert index.text.splitlines() == [CISCO]
        got = await site.http.get(url, headers=reader)
        assert got.status_code == 200
        assert got.content == site.served["cisco-sa-20180328-smi2"]
        assert got.headers["cache-control"] == "private, no-store"


async def test_an_embargoed_advisory_is_read_by_its_partners_only(site: Site) -> None:
    url = f"{CSAF}/white/{RHSA_EMBARGOED}"
    assert (await site.http.get(url)).status_code == 404
    assert (await site.http.get(url, headers=site.outsider)).status_code == 404
    got = await site.http.get(url, headers=site.member)
    assert got.status_code == 200 and got.content == site.served["RHSA-2022:0011"]
    index = await site.http.get(f"{CSAF}/white/index.txt", headers=site.member)
    assert sorted(index.text.splitlines()) == [BSI, RHSA_EMBARGOED]


async def test_green_is_for_the_community_of_the_instance(site: Site) -> None:
    url = f"{CSAF}/green/{RHSA_GREEN}"
    assert (await site.http.get(url)).status_code == 404
    got = await site.http.get(url, headers=site.outsider)
    assert got.status_code == 200 and got.content == site.served["RHSA-2021:5186"]
    # A file is only in the folder of its label.
    assert (
        await site.http.get(f"{CSAF}/white/{RHSA_GREEN}", headers=site.owner)
    ).status_code == 404


async def test_the_rolie_feed_lists_the_visible_files_with_working_links(site: Site) -> None:
    feed = await site.http.get(f"{CSAF}/amber/csaf-feed-tlp-amber.json", headers=site.member)
    assert feed.status_code == 200
    body = feed.json()["feed"]
    assert body["category"] == [
        {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
    ]
    (entry,) = body["entry"]
    assert entry["id"] == "cisco-sa-20180328-smi2"
    assert entry["format"] == {
        "schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
        "version": "2.0",
    }
    for link in entry["link"]:
        assert link["href"].startswith("https://csaf.test/")
        got = await site.http.get(link["href"], headers=site.member)
        assert got.status_code == 200, link
    outsider_feed = await site.http.get(
        f"{CSAF}/amber/csaf-feed-tlp-amber.json", headers=site.outsider
    )
    assert outsider_feed.json()["feed"]["entry"] == []


async def test_directory_listings_show_only_visible_years_and_files(site: Site) -> None:
    white = await site.http.get(f"{CSAF}/white/")
    assert white.status_code == 200 and "2022/" in white.text and "2018/" not in white.text
    year = await site.http.get(f"{CSAF}/white/2022/")
    assert "bsi-2022-0001.json.asc" in year.text and "rhsa-2022_0011" not in year.text
    assert (await site.http.get(f"{CSAF}/white/2018/")).status_code == 404


UNTRUSTED_PATHS = [
    f"{CSAF}/white/2022/..%2F..%2Fprovider-metadata.json",
    f"{CSAF}/white/2022/../../provider-metadata.json.asc",
    f"{CSAF}/WHITE/{BSI}",
    f"{CSAF}/white/22/bsi-2022-0001.json",
    f"{CSAF}/white/2022/BSI-2022-0001.json",
    f"{CSAF}/white/2022/bsi-2022-0001.json.md5",
    f"{CSAF}/white/2022/bsi-2022-0001.JSON",
    f"{CSAF}/white/passwd",
    f"{CSAF}/purple/index.txt",
    f"{CSAF}/openpgp/0000000000000000000000000000000000000000.asc",
    f"{CSAF}/openpgp/..%2F..%2Fetc%2Fpasswd",
]


async def test_untrusted_paths_are_plain_404s(site: Site) -> None:
    for path in UNTRUSTED_PATHS:
        response = await site.http.get(path, headers=site.owner, follow_redirects=True)
        assert response.status_code == 404, (path, response.text)


def test_file_names_and_folders_follow_the_standard() -> None:
    # CSAF 2.0 section 5.1's own examples.
    assert layout.csaf_filename("2022_#01-A") == "2022_01-a.json"
    assert (
        layout.csaf_filename("Example Company - 2019-YH3234")
        == "example_company_-_2019-yh3234.json"
    )
    assert layout.csaf_filename("RHBA-2019:0024") == "rhba-2019_0024.json"
    assert layout.csaf_filename("../../etc/passwd") == "_etc_passwd.json"
    assert [layout.folder_for(t) for t in ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")] == [
        "white",
        "green",
        "amber",
        "amber",
        "red",
    ]
    assert layout.folder_for("PURPLE") == "red"  # unknown labels fail closed, as the policy does


def test_changes_csv_is_quoted_and_newest_first() -> None:
    def made(tracking_id: str, initial: str, current: str) -> layout.PublishedFile:
        document = json.dumps(
            {
                "document": {
                    "title": tracking_id,
                    "tracking": {"initial_release_date": initial, "current_release_date": current},
                }
            }
        )
        return layout.published_file(
            tracking_id=tracking_id,
            tlp="CLEAR",
            document=document,
            sha256="0" * 64,
            sha512="0" * 128,
            signature=None,
            published_at=NOW,
        )

    files = [
        made("A-1", "2024-12-31T23:00:00Z", "2025-02-01T00:00:00Z"),
        made("B-2", "2025-01-05T00:00:00+01:00", "2025-03-01T10:00:00.5Z"),
        made("C-3", "2023-06-01T00:00:00Z", "2023-06-01T00:00:00Z"),
    ]
    assert layout.changes_csv(files) == (
        '"2025/b-2.json","2025-03-01T10:00:00.500Z"\n'
        '"2024/a-1.json","2025-02-01T00:00:00.000Z"\n'
        '"2023/c-3.json","2023-06-01T00:00:00.000Z"\n'
    )
    assert layout.index_txt(files) == "2023/c-3.json\n2024/a-1.json\n2025/b-2.json\n"
