"""Blast radius: the stored inventories and organisations an affected package reaches."""

from __future__ import annotations

from clearinghouse.formats.components import Component, SbomDocument
from clearinghouse.identity.principal import local_operator
from clearinghouse.sbom.service import upload_document

from .conftest import START, Site


def inventory(site: Site, organisation: str, name: str, *components: tuple[str, str, str]) -> None:
    document = SbomDocument(
        format="CycloneDX",
        format_version="1.6",
        encoding="json",
        components=tuple(Component(e, n, v) for e, n, v in components),
    )
    with site.db.session() as session:
        upload_document(
            session,
            local_operator("test"),
            inventory=name,
            document=document,
            filename=f"{name}.cdx.json",
            content=b"{}",
            organisation=organisation,
            now=START,
        )


def test_blast_radius_counts_inventories_and_organisations_at_affected_versions(site: Site) -> None:
    inventory(site, "frontierlab", "api", ("PyPI", "Django", "1.0.2"), ("PyPI", "requests", "2.0"))
    inventory(site, "frontierlab", "admin", ("PyPI", "django", "1.0.4"))
    inventory(site, "otherlab", "web", ("PyPI", "django", "0.96"))
    inventory(site, "researchco", "site", ("PyPI", "django", "4.2"))  # fixed already
    inventory(site, "vendorco", "tool", ("npm", "django", "1.0.0"))  # another ecosystem
    made = site.submit(
        "researcher",
        {
            "title": "DoS in Django i18n",
            "description": "Large Accept-Language headers exhaust memory.",
            "package": {"ecosystem": "PyPI", "name": "DJANGO"},
            "affected": {
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]
            },
        },
    )
    detail = site.ok("analyst", "GET", f"/reports/{made['id']}")
    assert (detail["scores"]["blast_inventories"], detail["scores"]["blast_organisations"]) == (
        3,
        2,
    )
    # Without versions, every version of the package counts.
    unversioned = site.submit(
        "researcher",
        {
            "title": "Another Django flaw",
            "description": "Something else entirely in django.",
            "package": {"ecosystem": "PyPI", "name": "django"},
        },
    )
    assert unversioned["blast_organisations"] == 3
    # A new upload changes the reach; scoring again picks it up.
    inventory(site, "vendorco", "cms", ("PyPI", "Django", "1.0.1"))
    rescored = site.ok("analyst", "PUT", f"/reports/{made['id']}/ssvc", {})
    assert rescored["scores"]["blast_organisations"] == 3
    assert rescored["scores"]["blast_inventories"] == 4
