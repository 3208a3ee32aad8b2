"""The CSAF 2.0 trusted-provider layout under /.well-known/csaf/, and OSV exports.

Each advisory is served at its path as its newest published version (older versions stay
in the database). Who sees what is `identity.policy.visible_filter` on the version's
copied labels: TLP:CLEAR (folder `white/`) for anyone, the other folders for the readers
the policy lets in, by bearer token. A file the reader may not see is a 404 exactly like
a missing one; the listings of a non-WHITE folder ask an anonymous reader to log in
(the folders themselves are named in provider-metadata.json, so that reveals nothing).
Path parameters are matched against strict patterns before anything is looked up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from clearinghouse.advisories import provider_layout as layout
from clearinghouse.advisories.models import Advisory, AdvisoryVersion
from clearinghouse.advisories.signing import instance_signer
from clearinghouse.api.deps import (
    current_principal,
    get_clock,
    get_db,
    get_settings,
    public_base_url,
)
from clearinghouse.clock import Clock
from clearinghouse.errors import NotFound, Unauthenticated
from clearinghouse.identity.policy import visible_filter
from clearinghouse.identity.principal import Principal
from clearinghouse.identity.tlp import Tlp
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities import exports

router = APIRouter(tags=["csaf provider"])

_YEAR = re.compile(r"[0-9]{4}")
_FILE = re.compile(r"([+\-a-z0-9_]{1,200}\.json)(\.sha256|\.sha512|\.asc)?")
_FINGERPRINT = re.compile(r"[0-9A-Fa-f]{40,64}")
_ECOSYSTEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:+-]{0,63}")

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"

PrincipalDep = Annotated[Principal, Depends(current_principal)]
DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def _headers(folder: str) -> dict[str, str]:
    # Anything above WHITE is per reader: no shared cache may keep it.
    if folder == "white":
        return {"Cache-Control": "public, max-age=300"}
    return {"Cache-Control": "private, no-store", "Vary": "Authorization"}


def _missing(path: str) -> NotFound:
    # The same answer for a file that is not there and one the reader may not see.
    return NotFound(f"no CSAF file at {path}")


def _folder_filter(folder: str) -> ColumnElement[bool]:
    labels = AdvisoryVersion.tlp.in_(layout.labels_in(folder))
    if folder != "red":
        return labels
    # A non-canonical stored label is read as RED by the policy; it is published there too.
    return or_(labels, AdvisoryVersion.tlp.not_in([t.value for t in Tlp]))


def _visible_latest(principal: Principal, folder: str, now: datetime) -> ColumnElement[bool]:
    latest = select(func.max(AdvisoryVersion.id)).group_by(AdvisoryVersion.advisory_id)
    return (
        AdvisoryVersion.id.in_(latest)
        & _folder_filter(folder)
        & visible_filter(
            principal,
            tlp_column=AdvisoryVersion.tlp,
            owner_column=AdvisoryVersion.owner_org_id,
            embargo_column=AdvisoryVersion.embargo_ends_at,
            sharing_group_column=AdvisoryVersion.sharing_group_id,
            now=now,
        )
    )


def _files(
    session: Session, principal: Principal, folder: str, now: datetime, filename: str | None = None
) -> list[layout.PublishedFile]:
    """The files of `folder` the reader may see (only those named `filename`, if given)."""
    where = _visible_latest(principal, folder, now)
    if filename is not None:
        # File names are lossy (section 5.1), so match them here and load only the hits.
        ids = session.execute(
            select(AdvisoryVersion.id, Advisory.tracking_id)
            .join(Advisory, Advisory.id == AdvisoryVersion.advisory_id)
            .where(where)
        ).all()
        wanted = [vid for vid, tid in ids if layout.csaf_filename(tid) == filename]
        if not wanted:
            return []
        where = AdvisoryVersion.id.in_(wanted)
    rows = session.execute(
        select(AdvisoryVersion, Advisory.tracking_id)
        .join(Advisory, Advisory.id == AdvisoryVersion.advisory_id)
        .where(where)
        .order_by(AdvisoryVersion.id)
    ).all()
    return [
        layout.published_file(
            tracking_id=tracking_id,
            tlp=version.tlp,
            document=version.document,
            sha256=version.sha256,
            sha512=version.sha512,
            signature=version.signature,
            published_at=version.published_at,
        )
        for version, tracking_id in rows
    ]


def _check_folder(folder: str, principal: Principal, path: str, *, listing: bool) -> None:
    if folder not in layout.FOLDERS:
        raise _missing(path)
    if listing and folder != "white" and not principal.is_authenticated:
        raise Unauthenticated(
            f"the TLP:{layout.FOLDER_LABELS[folder]} folder is for logged-in readers: "
            "send an API token as 'Authorization: Bearer <token>'"
        )


@router.get("/.well-known/csaf/provider-metadata.json", summary="CSAF provider metadata")
def provider_metadata(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """The trusted provider's metadata (CSAF 2.0 section 7.1.7): feeds per TLP and the key."""
    signer = instance_signer(settings, db=db)
    now = clock.now()
    with db.read_session() as session:
        newest = session.execute(
            select(func.max(AdvisoryVersion.published_at)).where(
                visible_filter(
                    principal,
                    tlp_column=AdvisoryVersion.tlp,
                    owner_column=AdvisoryVersion.owner_org_id,
                    embargo_column=AdvisoryVersion.embargo_ends_at,
                    sharing_group_column=AdvisoryVersion.sharing_group_id,
                    now=now,
                )
            )
        ).scalar_one_or_none()
    body = layout.provider_metadata(
        public_base_url(request),
        publisher=layout.Publisher(
            category=settings.csaf_publisher_category,
            name=settings.csaf_publisher_name,
            namespace=settings.csaf_publisher_namespace,
        ),
        fingerprint=signer.fingerprint,
        last_updated=newest or now,
    )
    return Response(orjson.dumps(body, option=orjson.OPT_INDENT_2), media_type=JSON)


@router.get("/.well-known/csaf/openpgp/{name}", summary="The instance's public OpenPGP key")
def public_key(name: str, db: DbDep, settings: SettingsDep) -> Response:
    """The ASCII-armoured public key that verifies every `.asc` (requirement 20)."""
    path = f"/.well-known/csaf/openpgp/{name}"
    stem = name.removesuffix(".asc")
    if not name.endswith(".asc") or not _FINGERPRINT.fullmatch(stem):
        raise _missing(path)
    signer = instance_signer(settings, db=db)
    if stem.upper() != signer.fingerprint.upper():
        raise _missing(path)
    return Response(
        signer.public_key_armored(),
        media_type="application/pgp-keys",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/.well-known/csaf/", response_class=HTMLResponse, include_in_schema=False)
def root_listing() -> HTMLResponse:
    names = ["provider-metadata.json", *(f"{f}/" for f in layout.FOLDERS)]
    return HTMLResponse(layout.directory_listing("/.well-known/csaf/", names))


@router.get("/.well-known/csaf/{folder}/", summary="A TLP folder's listing")
def folder_listing(folder: str, principal: PrincipalDep, db: DbDep, clock: ClockDep) -> Response:
    path = f"/.well-known/csaf/{folder}/"
    _check_folder(folder, principal, path, listing=True)
    with db.read_session() as session:
        files = _files(session, principal, folder, clock.now())
    years = sorted({f"{f.year}/" for f in files})
    names = ["index.txt", "changes.csv", layout.feed_filename(folder), *years]
    return HTMLResponse(layout.directory_listing(path, names), headers=_headers(folder))


@router.get("/.well-known/csaf/{folder}/{name}", summary="index.txt, changes.csv or a ROLIE feed")
def folder_file(
    folder: str,
    name: str,
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    path = f"/.well-known/csaf/{folder}/{name}"
    if name not in ("index.txt", "changes.csv", layout.feed_filename(folder)):
        raise _missing(path)
    _check_folder(folder, principal, path, listing=True)
    now = clock.now()
    with db.read_session() as session:
        files = _files(session, principal, folder, now)
    headers = _headers(folder)
    if name == "index.txt":
        return Response(layout.index_txt(files), media_type=TEXT, headers=headers)
    if name == "changes.csv":
        return Response(layout.changes_csv(files), media_type="text/csv", headers=headers)
    feed = layout.rolie_feed(
        public_base_url(request), folder, files, publisher=settings.csaf_publisher_name, now=now
    )
    return Response(
        orjson.dumps(feed, option=orjson.OPT_INDENT_2), media_type=JSON, headers=headers
    )


@router.get("/.well-known/csaf/{folder}/{year}/", summary="A year's listing")
def year_listing(
    folder: str, year: str, principal: PrincipalDep, db: DbDep, clock: ClockDep
) -> Response:
    path = f"/.well-known/csaf/{folder}/{year}/"
    _check_folder(folder, principal, path, listing=True)
    if not _YEAR.fullmatch(year):
        raise _missing(path)
    with db.read_session() as session:
        files = [f for f in _files(session, principal, folder, clock.now()) if f.year == year]
    if not files:
        raise _missing(path)
    names: list[str] = []
    for f in sorted(files, key=lambda f: f.filename):
        names += [f.filename, f"{f.filename}.sha256", f"{f.filename}.sha512"]
        names += [f"{f.filename}.asc"] if f.signature else []
    return HTMLResponse(layout.directory_listing(path, names), headers=_headers(folder))


@router.get("/.well-known/csaf/{folder}/{year}/{name}", summary="A CSAF document or its companions")
def csaf_file(
    folder: str, year: str, name: str, principal: PrincipalDep, db: DbDep, clock: ClockDep
) -> Response:
    """The document (exact published bytes), its `.sha256`, `.sha512` or `.asc`."""
    path = f"/.well-known/csaf/{folder}/{year}/{name}"
    matched = _FILE.fullmatch(name)
    if folder not in layout.FOLDERS or not _YEAR.fullmatch(year) or matched is None:
        raise _missing(path)
    filename, suffix = matched.group(1), matched.group(2)
    with db.read_session() as session:
        files = [
            f
            for f in _files(session, principal, folder, clock.now(), filename=filename)
            if f.year == year
        ]
    if len(files) != 1:
        # Two advisories whose ids fold to one name would be ambiguous: serve neither.
        raise _missing(path)
    found = files[0]
    headers = _headers(folder)
    if suffix is None:
        return Response(found.document, media_type=JSON, headers=headers)
    if suffix == ".sha256":
        return Response(
            layout.checksum_file(found.sha256, filename), media_type=TEXT, headers=headers
        )
    if suffix == ".sha512":
        return Response(
            layout.checksum_file(found.sha512, filename), media_type=TEXT, headers=headers
        )
    if found.signature is None:
        raise _missing(path)
    return Response(found.signature, media_type="application/pgp-signature", headers=headers)


# --- OSV exports, in OSV.dev's layout: /osv-export/ecosystems.txt, /<ecosystem>/all.zip ---


@router.get("/osv-export/ecosystems.txt", tags=["osv"], summary="Ecosystems with an export")
def osv_ecosystems(db: DbDep, clock: ClockDep) -> Response:
    with db.read_session() as session:
        names = exports.export_ecosystems(session, now=clock.now())
    return Response("".join(f"{n}\n" for n in names), media_type=TEXT)


@router.get("/osv-export/{ecosystem}/all.zip", tags=["osv"], summary="One ecosystem's records")
def osv_export_zip(ecosystem: str, db: DbDep, clock: ClockDep) -> Response:
    """Every TLP:CLEAR, unembargoed record naming the ecosystem, one `<id>.json` each."""
    if not _ECOSYSTEM.fullmatch(ecosystem):
        raise NotFound(f"no OSV export for ecosystem {ecosystem!r}")
    now = clock.now()
    with db.read_session() as session:
        if not exports.has_records(session, ecosystem, now=now):
            raise NotFound(f"no OSV export for ecosystem {ecosystem!r}")

    def chunks() -> Iterator[bytes]:
        with db.read_session() as session:
            yield from exports.stream_zip(session, ecosystem, now=now)

    return StreamingResponse(
        chunks(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="all.zip"'},
    )
