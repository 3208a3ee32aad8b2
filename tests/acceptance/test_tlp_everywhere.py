"""Issue 5: TLP 2.0 and sharing groups hold on every GET route of the application.

One resource of each kind (vulnerability, report, case, the advisory a case produces, a
CSAF advisory, an inventory finding) is planted under TLP:AMBER and under TLP:RED, with
the sharing group `energy-isac` (Gridco as a member organisation, and one of Gridco's
people named). Each carries a unique marker. Every GET route of the app (enumerated from
`app.routes`, its parameters filled with the planted things), the vulnerability searches,
the OSV query API and the OSV export are then asked as six roles: anonymous, a user of an
outside organisation, a user of the member organisation who is not named, the named
person, a user of the owner organisation, and an operator. Each marker must appear for
exactly the roles the rules of `identity.policy` (and ADR 0013) let read it.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import httpx
import orjson
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update
from starlette.routing import Mount
from starlette.testclient import TestClient

from clearinghouse.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion
from clearinghouse.api.app import create_app
from clearinghouse.api.deps import SESSION_COOKIE
from clearinghouse.clock import ManualClock
from clearinghouse.formats.osv import validate_osv
from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.principal import principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.sessions import start_session
from clearinghouse.identity.tokens import create_token
from clearinghouse.intake.parse import record_from_osv
from clearinghouse.intake.upsert import write_records
from clearinghouse.reports.models import DiscoveredBy, Report, ReportStatus
from clearinghouse.reports.service import create_report
from clearinghouse.sbom.models import InventoryFinding
from clearinghouse.sbom.service import upload_sbom
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

NOW = datetime.now(UTC).replace(microsecond=0)
GROUP = "energy-isac"
LABELS = ("AMBER", "RED")
KINDS = ("vuln", "report", "case", "caseadvisory", "advisory", "finding")
ROLES = ("anonymous", "outsider", "member", "named", "owner", "operator")
PREFIX = "tlpmk"  # every marker starts so; searches ask for it, never for a whole marker
_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")

PEOPLE = {
    "operator": ("ops@ops.example", "ops", Role.operator),
    "owner": ("psirt@acme.example", "acme", Role.vendor),
    "member": ("desk@gridco.example", "gridco", Role.partner),
    "named": ("soc@gridco.example", "gridco", Role.partner),
    "outsider": ("psirt@initech.example", "initech", Role.vendor),
}
ORGS = {
    "ops": OrgKind.operator,
    "acme": OrgKind.vendor,
    "gridco": OrgKind.critical_infrastructure,
    "initech": OrgKind.vendor,
}

_ALL_BUT_OUTSIDERS = {"owner", "operator", "member", "named"}
# Who reads each planted marker (ADR 0013). The owner of a case and of its advisory is the
# coordinating operator; Acme takes part as the invited vendor.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("vuln", "AMBER"): _ALL_BUT_OUTSIDERS,
    ("vuln", "RED"): {"owner", "named"},  # operators do not read another's RED
    ("report", "AMBER"): _ALL_BUT_OUTSIDERS,
    ("report", "RED"): {"owner", "operator", "named"},  # analysts read every report
    ("case", "AMBER"): {"owner", "operator"},  # a case stays with its parties
    ("case", "RED"): {"owner", "operator"},
    ("caseadvisory", "AMBER"): _ALL_BUT_OUTSIDERS,  # designated partners, under embargo too
    ("caseadvisory", "RED"): {"owner", "operator", "named"},
    ("advisory", "AMBER"): _ALL_BUT_OUTSIDERS,
    # Analysts write advisories and read them all (the advisories section of the policy);
    # the CSAF provider's folders still follow the label alone.
    ("advisory", "RED"): {"owner", "operator", "named"},
    ("finding", "AMBER"): _ALL_BUT_OUTSIDERS,
    ("finding", "RED"): {"owner", "operator", "named"},  # operators read inventories
}


@dataclass
class Planted:
    """What one label's pass plants: the markers and the values that fill route parameters."""

    label: str
    markers: dict[str, str]
    values: dict[str, list[str]] = field(default_factory=dict)
    packages: list[str] = field(default_factory=list)


@dataclass
class World:
    client: TestClient
    db: Database
    clock: ManualClock
    tokens: dict[str, str]
    cookies: dict[str, str]
    org_ids: dict[str, int]
    requests: dict[str, int] = field(default_factory=dict)

    def call(self, role: str, method: str, path: str, json: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}
        response = self.client.request(method, "/api/v1" + path, json=json, headers=headers)
        return response

    def ok(self, role: str, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.call(role, method, path, json)
        assert response.status_code == status, (role, method, path, response.text)
        return response.json()

    def get(self, role: str, path: str) -> httpx.Response:
        """GET as `role`: the bearer token (API, feeds) and the session cookie (pages)."""
        headers = {"accept": "text/html"} if not path.startswith(("/api/", "/v1/")) else {}
        if role in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        self.client.cookies.clear()
        if role in self.cookies:
            self.client.cookies.set(SESSION_COOKIE, self.cookies[role])
        response = self.client.get(path, headers=headers)
        self.client.cookies.clear()
        self.requests[role] = self.requests.get(role, 0) + 1
        return response

    def post(self, role: str, path: str, json: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}
        self.requests[role] = self.requests.get(role, 0) + 1
        return self.client.post(path, json=json, headers=headers)


@pytest.fixture
def world(db: Database, db_url: str) -> Iterator[World]:
    tokens: dict[str, str] = {}
    cookies: dict[str, str] = {}
    org_ids: dict[str, int] = {}
    with db.session() as session:
        for slug, kind in ORGS.items():
            org_ids[slug] = create_organisation(
                session, slug=slug, name=slug.title(), kind=kind, actor="test"
            ).id
        for role, (email, org, user_role) in PEOPLE.items():
            user = create_user(session, email=email, org_slug=org, role=user_role, actor="test")
            _, tokens[role] = create_token(session, user=user, name="t", actor="test")
            cookies[role], _ = start_session(session, user=user, hours=2)
    clock = ManualClock(NOW)
    # A PostgreSQL instance must be given its encryption key (the signing key is sealed
    # with it); an SQLite one keeps a key file beside its database.
    settings = Settings(
        database_url=db_url, secret_key="t", encryption_key=Fernet.generate_key().decode()
    )
    app = create_app(settings, db, clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(client, db, clock, tokens, cookies, org_ids)
    db.dispose()


# --- planting -------------------------------------------------------------------------------


def _osv(osv_id: str, package: str, text: str) -> dict[str, Any]:
    return {
        "id": osv_id,
        "modified": "2026-01-01T00:00:00Z",
        "summary": text,
        "details": text,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}],
            }
        ],
    }


def _store(world: World, document: dict[str, Any]) -> None:
    with world.db.session() as session:
        record = record_from_osv(validate_osv(document), source="test", source_file="test")
        write_records(session, [record], actor="test")


def _report(world: World, role: str, title: str, text: str, tlp: str, status: ReportStatus) -> int:
    with world.db.session() as session:
        user = session.scalar(select(User).where(User.email == PEOPLE[role][0]))
        assert user is not None
        report = create_report(
            session,
            title=title,
            description=text,
            submitted_by=f"user:{user.email}",
            submitted_by_user_id=user.id,
            reporter_org_id=user.organisation_id,
            discovered_by=DiscoveredBy.person,
            tlp=tlp,
            now=NOW - timedelta(days=1),
        )
        stored = session.get(Report, report.id)
        assert stored is not None
        stored.status = status
        return report.id


def _case(world: World, label: str, marker: str, package: str) -> int:
    """A case about a validated report, labelled, with Acme invited."""
    source = _report(world, "outsider", "A frame bug", "found it", "AMBER", ReportStatus.validated)
    case = world.ok(
        "operator",
        "POST",
        "/cases",
        {
            "report_ids": [source],
            "title": f"Overflow in {package} ({marker})",
            "summary": f"Code execution ({marker})",
            "description": f"Details ({marker})",
            "package_ecosystem": "PyPI",
            "package_name": package,
            "affected_versions": "<9",
            "tlp": "CLEAR",
        },
        201,
    )
    labelled = world.ok(
        "operator", "PUT", f"/cases/{case['id']}/label", {"tlp": label, "sharing_group": GROUP}
    )
    assert labelled == {
        "tlp": label,
        "sharing_group": GROUP,
        "owner": "ops",
        "embargo_ends_at": labelled["embargo_ends_at"],
    }
    world.ok("operator", "POST", f"/cases/{case['id']}/vendors", {"organisation": "acme"}, 201)
    return int(case["id"])


def _csaf_advisory(world: World, label: str, marker: str) -> tuple[int, str]:
    tracking_id = f"CH-TLP-{label}-1"
    document = orjson.dumps(
        {
            "document": {
                "category": "csaf_security_advisory",
                "csaf_version": "2.0",
                "title": f"Advisory ({marker})",
                "distribution": {"tlp": {"label": label}},
                "publisher": {"category": "coordinator", "name": "Ops", "namespace": "https://x"},
                "tracking": {
                    "id": tracking_id,
                    "status": "final",
                    "version": "1",
                    "initial_release_date": NOW.isoformat(),
                    "current_release_date": NOW.isoformat(),
                    "revision_history": [
                        {"date": NOW.isoformat(), "number": "1", "summary": "first"}
                    ],
                },
            }
        }
    )
    with world.db.session() as session:
        group_id = _group_id(world)
        advisory = Advisory(
            tracking_id=tracking_id,
            title=f"Advisory ({marker})",
            status=AdvisoryStatus.final,
            tlp=label,
            owner_org_id=world.org_ids["acme"],
            sharing_group_id=group_id,
            created_by="test",
        )
        session.add(advisory)
        session.flush()
        session.add(
            AdvisoryVersion(
                advisory_id=advisory.id,
                version="1",
                status=AdvisoryStatus.final,
                document=document.decode(),
                sha256=hashlib.sha256(document).hexdigest(),
                sha512=hashlib.sha512(document).hexdigest(),
                tlp=label,
                owner_org_id=world.org_ids["acme"],
                sharing_group_id=group_id,
                published_at=NOW,
                published_by="test",
            )
        )
        return advisory.id, tracking_id.lower().replace("-", "_") + ".json"


def _group_id(world: World) -> int:
    from clearinghouse.sharing.models import SharingGroup

    with world.db.read_session() as session:
        found = session.scalar(select(SharingGroup.id).where(SharingGroup.slug == GROUP))
        assert found is not None
        return found


def plant(world: World) -> list[Planted]:
    world.ok("operator", "POST", "/sharing-groups", {"slug": GROUP, "name": "Energy ISAC"}, 201)
    for member in (
        {"organisation": "gridco"},
        {"organisation": "gridco", "user": PEOPLE["named"][0]},
    ):
        world.ok("operator", "POST", f"/sharing-groups/{GROUP}/members", member, 201)

    planted: list[Planted] = []
    finding_packages = {label: f"tlp-findpkg-{label.lower()}" for label in LABELS}
    for label in LABELS:
        markers = {k: f"{PREFIX}{k}{label.lower()}{uuid.uuid4().hex[:10]}" for k in KINDS}
        p = Planted(label, markers)
        # A vulnerability of Acme's, relabelled through the API by an operator.
        osv_id, package = f"OSV-2099-TLP{label}", f"tlp-vulnpkg-{label.lower()}"
        _store(world, _osv(osv_id, package, f"Flaw ({markers['vuln']})"))
        vuln_label = world.ok(
            "operator",
            "PUT",
            f"/vulns/{osv_id}/label",
            {"tlp": label.lower(), "sharing_group": GROUP, "owner": "acme"},
        )
        assert (vuln_label["tlp"], vuln_label["owner"]) == (label, "acme")
        # A report of Acme's, shared by its reporter.
        report_id = _report(
            world,
            "owner",
            f"Report ({markers['report']})",
            f"Steps ({markers['report']})",
            "AMBER+STRICT",
            ReportStatus.received,
        )
        world.ok(
            "owner", "PUT", f"/reports/{report_id}/label", {"tlp": label, "sharing_group": GROUP}
        )
        # An open case, and a case that has produced its advisory (and OSV record).
        case_id = _case(world, label, markers["case"], f"tlp-casepkg-{label.lower()}")
        produced_package = f"tlp-advpkg-{label.lower()}"
        produced_id = _case(world, label, markers["caseadvisory"], produced_package)
        closed = world.ok("operator", "POST", f"/cases/{produced_id}/transitions", {"to": "closed"})
        assert closed["embargo_in_force"] is True  # designated partners read it all the same
        # A CSAF advisory, as the advisories service publishes one.
        advisory_id, csaf_name = _csaf_advisory(world, label, markers["advisory"])
        # A finding of Acme's on a public record, shared by relabelling it.
        _store(world, _osv(f"OSV-2099-TLPBASE{label}", finding_packages[label], "public record"))
        p.values = {
            "case_id": [str(case_id), str(produced_id)],
            "identifier": [osv_id, closed["osv_id"]],
            "report_id": [str(report_id)],
            "advisory_id": [str(advisory_id)],
            "slug": [GROUP],
            "folder": [label.lower()],
            "year": [str(NOW.year)],
            "version": ["1"],
            "ecosystem": ["PyPI"],
            "csaf_name": [csaf_name],
        }
        p.packages = [package, produced_package, finding_packages[label]]
        planted.append(p)

    requirements = "".join(f"{name}==1.0\n" for name in finding_packages.values())
    with world.db.session() as session:
        owner = session.scalar(select(User).where(User.email == PEOPLE["owner"][0]))
        assert owner is not None
        outcome = upload_sbom(
            session,
            principal_for(owner),
            inventory="production",
            data=requirements.encode(),
            filename="requirements.txt",
            now=NOW,
        )
        findings = {
            f.name: f.id
            for f in session.scalars(
                select(InventoryFinding).where(
                    InventoryFinding.inventory_id == outcome.inventory_id
                )
            )
        }
    # Gridco runs both labelled packages: its inventory is matched as the organisation, a
    # member of the group, so it learns of the AMBER record and not of the RED one.
    vulnerable = "".join(f"tlp-vulnpkg-{label.lower()}==1.0\n" for label in LABELS)
    with world.db.session() as session:
        member = session.scalar(select(User).where(User.email == PEOPLE["member"][0]))
        assert member is not None
        partner = upload_sbom(
            session,
            principal_for(member),
            inventory="substations",
            data=vulnerable.encode(),
            filename="requirements.txt",
            now=NOW,
        )
        matched = session.scalars(
            select(InventoryFinding.primary_id).where(
                InventoryFinding.inventory_id == partner.inventory_id
            )
        ).all()
    assert matched == ["OSV-2099-TLPAMBER"]
    for p in planted:
        finding_id = findings[finding_packages[p.label]]
        with world.db.session() as session:  # the marker stands for what the finding says
            session.execute(
                update(InventoryFinding)
                .where(InventoryFinding.id == finding_id)
                .values(summary=f"Exposure ({p.markers['finding']})")
            )
        path = f"/inventories/{outcome.inventory_id}/findings/{finding_id}/label"
        world.ok("owner", "PUT", path, {"tlp": p.label, "sharing_group": GROUP})
        p.values["inventory_id"] = [str(outcome.inventory_id), str(partner.inventory_id)]
        p.values["finding_id"] = [str(finding_id)]
    return planted


# --- sweeping -------------------------------------------------------------------------------


def get_paths(app: Any) -> Iterator[str]:
    """Every GET path of the app (included routers flattened, as tests/disclosure does)."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for item in contexts() if contexts is not None else [route]:
            methods = getattr(item, "methods", None) or ()
            if isinstance(item, Mount) or "GET" not in methods:
                continue
            yield str(item.path)


_SPECIAL = {
    # CSAF provider files: a folder's index, changes and feed, and the document itself.
    "/.well-known/csaf/{folder}/{name}": [
        "/.well-known/csaf/{folder}/index.txt",
        "/.well-known/csaf/{folder}/changes.csv",
        "/.well-known/csaf/{folder}/csaf-feed-tlp-{folder}.json",
    ],
    "/.well-known/csaf/{folder}/{year}/{name}": ["/.well-known/csaf/{folder}/{year}/{csaf_name}"],
}


def fill(template: str, values: dict[str, list[str]]) -> list[str]:
    """The template with every combination of the planted values (1 for what is unknown)."""
    templates = _SPECIAL.get(template, [template])
    paths: list[str] = []
    for one in templates:
        names = _PARAM.findall(one)
        choices = [values.get(name, ["1"]) for name in names]
        for combination in product(*choices):
            chosen = dict(zip(names, combination, strict=True))
            paths.append(_PARAM.sub(lambda m, c=chosen: c[m.group(1)], one))  # type: ignore[misc]
    return paths


def searches(p: Planted) -> list[str]:
    paths = [f"/api/v1/vulns?q={PREFIX}", f"/vulns?q={PREFIX}", f"/api/v1/reports?q={PREFIX}"]
    for package in p.packages:
        paths += [f"/api/v1/vulns?ecosystem=PyPI&package={package}", f"/vulns?package={package}"]
    return paths


def _text(response: httpx.Response) -> str:
    """What a response says, archives opened, with any echo of the request's path removed."""
    body = response.content
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    else:
        text = response.text
    return (text + str(response.headers)).replace(response.request.url.path, "")


def sweep(
    world: World, role: str, paths: list[str], p: Planted
) -> tuple[dict[str, str], list[str]]:
    """Where `role` is told each marker (the first path), over the paths and the OSV query
    API; and how many answers were server errors."""
    answers: list[tuple[str, httpx.Response]] = [(path, world.get(role, path)) for path in paths]
    queries = [{"package": {"ecosystem": "PyPI", "name": name}} for name in p.packages]
    for query in queries:
        answers.append((f"/v1/query {query}", world.post(role, "/v1/query", query)))
    answers.append(("/v1/querybatch", world.post(role, "/v1/querybatch", {"queries": queries})))
    where: dict[str, str] = {}
    for path, response in answers:
        text = _text(response)
        for kind, marker in p.markers.items():
            if marker in text:
                where.setdefault(f"{kind}:{p.label}", path)
    return where, [path for path, response in answers if response.status_code >= 500]


@pytest.mark.slow  # some 2,000 requests: every GET route, twice, as six roles
def test_every_route_shows_each_marker_exactly_to_whom_the_label_allows(world: World) -> None:
    planted = plant(world)
    templates = sorted(
        t
        for t in set(get_paths(world.client.app))
        if not t.startswith("/static") and not t.endswith(("/openapi.json", "/docs"))
    )
    assert len(templates) > 60  # every GET route of the app, not a hand-picked few
    seen: dict[str, dict[str, str]] = {role: {} for role in ROLES}
    errors: set[str] = set()
    for p in planted:
        paths = sorted({path for t in templates for path in fill(t, p.values)}) + searches(p)
        for role in ROLES:
            where, failed = sweep(world, role, paths, p)
            errors.update(failed)
            seen[role].update(where)

    wrong = []
    for (kind, label), allowed in EXPECTED.items():
        for role in ROLES:
            if (f"{kind}:{label}" in seen[role]) != (role in allowed):
                wrong.append((kind, label, role, seen[role].get(f"{kind}:{label}", "hidden")))
    shown = sum(len(v) for v in seen.values())
    print(
        f"\nTLP sweep: {len(templates)} GET routes; requests per role {world.requests}; "
        f"markers seen {shown}, hidden {len(EXPECTED) * len(ROLES) - shown}; 5xx {sorted(errors)}"
    )
    assert wrong == []
    assert errors == set(), "server errors answer no one; every route must answer a status"
