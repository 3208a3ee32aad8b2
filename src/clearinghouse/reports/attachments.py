"""Attachments (proofs of concept, logs, screenshots) as content-addressed blobs on disk.

A blob's name is the SHA-256 of its bytes, in a two-level fan-out under the data
directory (`ab/cd/abcd...`): the same file attached twice is stored once, and no name a
reporter chose ever reaches the file system, so there is no path to traverse. A blob is
written to a temporary file in the same folder and renamed into place, so a reader never
sees half of one, and two servers writing the same blob at once both succeed.

Where the blobs live: beside a SQLite database (`clearinghouse.db.attachments/`), or in
`clearinghouse-attachments/` of the working directory; several servers of one instance
must share that folder (a network file system), as they share the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from clearinghouse.reports.errors import AttachmentTooLarge, InvalidReport, UnknownAttachment

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "BlobStore",
    "attachments_root",
    "decode_attachment",
    "safe_filename",
    "safe_media_type",
]

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def attachments_root(database_url: str) -> Path:
    """The blob folder of the instance whose database is `database_url`."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(database.name + ".attachments")
    return Path.cwd() / "clearinghouse-attachments"


def safe_filename(name: str) -> str:
    """A display name only: the last path part, without control or path characters."""
    base = re.split(r"[/\\]", name.strip())[-1]
    cleaned = _UNSAFE_NAME.sub("_", base).strip(". ")[:255]
    return cleaned if cleaned.strip("_") else "attachment"


def safe_media_type(media_type: str | None) -> str:
    text = (media_type or "").strip().lower()
    return text if _MEDIA_TYPE.fullmatch(text) else "application/octet-stream"


def decode_attachment(content_base64: str, *, path: str) -> bytes:
    """Base64 to bytes, refusing an oversized file before decoding it."""
    if len(content_base64) > MAX_ATTACHMENT_BYTES * 4 // 3 + 4:
        raise AttachmentTooLarge(f"{path}: an attachment may be at most 5 MiB")
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidReport("not base64", path=path) from None
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(f"{path}: an attachment may be at most 5 MiB")
    return data


class BlobStore:
    """Blobs by SHA-256 under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise UnknownAttachment("no such attachment")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store `data` (at most `MAX_ATTACHMENT_BYTES`); its SHA-256 is its name."""
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise AttachmentTooLarge("an attachment may be at most 5 MiB")
        sha256 = hashlib.sha256(data).hexdigest()
        target = self._path(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise UnknownAttachment("the attachment's content is missing from the store") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise UnknownAttachment("the stored attachment does not match its hash")
        return data
