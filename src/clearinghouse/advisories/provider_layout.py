"""The files of a CSAF 2.0 trusted provider (section 7), built from published versions.

Pure functions: they take the facts of the versions a reader may see and return the
bytes or JSON to serve; the router (`provider.py`) does the reading and the deciding.

Folders are named by CSAF 2.0's TLP labels, which are TLP 1.0's: our TLP 2.0 CLEAR is
WHITE (folder `white/`), GREEN, AMBER and RED keep their names, and AMBER+STRICT, which
TLP 1.0 lacks, is published in `amber/` (who may read it is still decided by the policy
on the stored TLP 2.0 label, so only the owner organisation sees it there).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import orjson

from clearinghouse.advisories.csaf_document import TLP_1_LABELS
from clearinghouse.identity.tlp import Tlp

# Folder name -> the label CSAF 2.0 (and provider-metadata.json's schema) writes.
FOLDER_LABELS: dict[str, str] = {
    "white": "WHITE",
    "green": "GREEN",
    "amber": "AMBER",
    "red": "RED",
}
FOLDERS: tuple[str, ...] = tuple(FOLDER_LABELS)
# Each TLP 2.0 label's folder is named after the TLP 1.0 label its documents carry.
_TLP_FOLDERS: dict[Tlp, str] = {tlp: label.lower() for tlp, label in TLP_1_LABELS.items()}
CSAF_SCHEMA_URL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
WELL_KNOWN = "/.well-known/csaf"
_FILENAME_UNSAFE = re.compile(r"[^+\-a-z0-9]+")


def folder_for(tlp: str) -> str:
    """The folder a version with stored TLP 2.0 label `tlp` is published in.

    An unknown label goes to `red/`, as the policy reads it (fail closed).
    """
    try:
        return _TLP_FOLDERS[Tlp(tlp)]
    except ValueError:
        return "red"


def labels_in(folder: str) -> tuple[str, ...]:
    """The stored TLP 2.0 labels whose versions live in `folder`."""
    return tuple(label.value for label, name in _TLP_FOLDERS.items() if name == folder)


def csaf_filename(tracking_id: str) -> str:
    """CSAF 2.0 section 5.1: lower case, runs of other characters to one `_`, `.json`."""
    return _FILENAME_UNSAFE.sub("_", tracking_id.lower()) + ".json"


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_z(moment: datetime) -> str:
    """A UTC timestamp as CSAF writes it, e.g. 2026-12-06T01:30:00.000Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class PublishedFile:
    """One served CSAF document: the newest published version of one advisory."""

    tracking_id: str
    title: str
    folder: str
    document: bytes
    sha256: str
    sha512: str
    signature: str | None
    initial_release_date: datetime
    current_release_date: datetime

    @property
    def filename(self) -> str:
        return csaf_filename(self.tracking_id)

    @property
    def year(self) -> str:
        # Requirement 11 (section 7.1.11): the year of /document/tracking/initial_release_date.
        return f"{self.initial_release_date.year:04d}"

    @property
    def path(self) -> str:
        """The path relative to the folder, e.g. `2026/ch-2026-0001.json`."""
        return f"{self.year}/{self.filename}"


def published_file(
    *,
    tracking_id: str,
    tlp: str,
    document: str,
    sha256: str,
    sha512: str,
    signature: str | None,
    published_at: datetime,
) -> PublishedFile:
    """The facts of one stored version; dates come from the document, else publication."""
    tracking: dict[str, Any] = {}
    title = tracking_id
    try:
        parsed = orjson.loads(document)
        doc = parsed.get("document", {}) if isinstance(parsed, dict) else {}
        tracking = doc.get("tracking", {}) if isinstance(doc, dict) else {}
        if isinstance(doc, dict) and isinstance(doc.get("title"), str):
            title = doc["title"]
    except orjson.JSONDecodeError:
        pass  # served as stored; the validator guarded publication
    initial = _parse_time(tracking.get("initial_release_date")) or published_at
    current = _parse_time(tracking.get("current_release_date")) or published_at
    return PublishedFile(
        tracking_id=tracking_id,
        title=title,
        folder=folder_for(tlp),
        document=document.encode("utf-8"),
        sha256=sha256,
        sha512=sha512,
        signature=signature,
        initial_release_date=initial,
        current_release_date=current,
    )


def index_txt(files: Iterable[PublishedFile]) -> str:
    """Requirement 12 (7.1.12): every document's path relative to the folder, one a line."""
    return "".join(f"{path}\n" for path in sorted(f.path for f in files))


def changes_csv(files: Iterable[PublishedFile]) -> str:
    """Requirement 13 (7.1.13): quoted path and current release date, the newest first."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    ordered = sorted(files, key=lambda f: (f.current_release_date, f.path), reverse=True)
    for f in ordered:
        writer.writerow([f.path, iso_z(f.current_release_date)])
    return out.getvalue()


def checksum_file(hex_digest: str, filename: str) -> str:
    """Requirement 18 (7.1.18): the format `sha256sum`/`sha512sum` write and check."""
    return f"{hex_digest}  {filename}\n"


def feed_filename(folder: str) -> str:
    return f"csaf-feed-tlp-{folder}.json"


def folder_url(base_url: str, folder: str) -> str:
    return f"{base_url}{WELL_KNOWN}/{folder}/"


def document_url(base_url: str, f: PublishedFile) -> str:
    return f"{folder_url(base_url, f.folder)}{f.path}"


def rolie_feed(
    base_url: str, folder: str, files: Sequence[PublishedFile], *, publisher: str, now: datetime
) -> dict[str, Any]:
    """Requirement 15 (7.1.15): the ROLIE feed (Atom in JSON, RFC 8322) of one TLP folder."""
    label = FOLDER_LABELS[folder]
    entries = []
    for f in sorted(files, key=lambda f: (f.current_release_date, f.path), reverse=True):
        url = document_url(base_url, f)
        entries.append(
            {
                "id": f.tracking_id,
                "title": f.title,
                "link": [
                    {"rel": "self", "href": url},
                    {"rel": "hash", "href": f"{url}.sha256"},
                    {"rel": "hash", "href": f"{url}.sha512"},
                    *([{"rel": "signature", "href": f"{url}.asc"}] if f.signature else []),
                ],
                "published": iso_z(f.initial_release_date),
                "updated": iso_z(f.current_release_date),
                "summary": {"content": f.title},
                "content": {"type": "application/json", "src": url},
                "format": {"schema": CSAF_SCHEMA_URL, "version": "2.0"},
            }
        )
    updated = max((f.current_release_date for f in files), default=now)
    return {
        "feed": {
            "id": f"{_slug(publisher)}-csaf-feed-tlp-{folder}",
            "title": f"{publisher} CSAF feed (TLP:{label})",
            "link": [{"rel": "self", "href": folder_url(base_url, folder) + feed_filename(folder)}],
            "category": [
                {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
            ],
            "updated": iso_z(updated),
            "entry": entries,
        }
    }


def _slug(text: str) -> str:
    return _FILENAME_UNSAFE.sub("-", text.lower()).strip("-") or "clearinghouse"


@dataclass(frozen=True)
class Publisher:
    """CSAF /document/publisher of this instance."""

    category: str
    name: str
    namespace: str


def provider_metadata(
    base_url: str,
    *,
    publisher: Publisher,
    fingerprint: str,
    last_updated: datetime,
) -> dict[str, Any]:
    """Requirement 7 (7.1.7): a trusted provider's metadata, one ROLIE feed per label."""
    feeds = [
        {
            "summary": f"{publisher.name}: the TLP:{label} advisories this reader may see",
            "tlp_label": label,
            "url": folder_url(base_url, folder) + feed_filename(folder),
        }
        for folder, label in FOLDER_LABELS.items()
    ]
    return {
        "canonical_url": f"{base_url}{WELL_KNOWN}/provider-metadata.json",
        "distributions": [
            {"directory_url": folder_url(base_url, "white")},
            {"rolie": {"feeds": feeds}},
        ],
        "last_updated": iso_z(last_updated),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "public_openpgp_keys": [
            {"fingerprint": fingerprint, "url": f"{base_url}{WELL_KNOWN}/openpgp/{fingerprint}.asc"}
        ],
        "publisher": {
            "category": publisher.category,
            "name": publisher.name,
            "namespace": publisher.namespace,
        },
        "role": "csaf_trusted_provider",
    }


def directory_listing(title: str, names: Iterable[str]) -> str:
    """Requirement 14 (7.1.14): a server-side directory listing, as a small HTML page."""

    items = "".join(f'<li><a href="{escape(n)}">{escape(n)}</a></li>' for n in names)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body><h1>{escape(title)}</h1><ul>{items}</ul></body></html>"
    )
