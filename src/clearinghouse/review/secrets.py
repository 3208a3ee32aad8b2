"""Model credentials encrypted at rest with Fernet; decrypted only for the benchmark runner.

The key comes from `Settings.encryption_key`. With SQLite and no key configured, a key
file `<database file>.key` (mode 0600) is made beside the database, so the embedded mode
needs no setup; with PostgreSQL a configured key is required, since several servers
must share it.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import make_url

from clearinghouse.review.errors import EncryptionKeyMissing, InvalidEncryptionKey


def _key_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    if not url.get_backend_name().startswith("sqlite"):
        return None
    if not url.database or url.database == ":memory:":
        raise EncryptionKeyMissing(
            "an in-memory SQLite database has no place for a key file: "
            "set CLEARINGHOUSE_ENCRYPTION_KEY"
        )
    return Path(url.database + ".key")


def _read_or_create_key_file(path: Path) -> bytes:
    try:
        # O_EXCL: of two processes starting at once, one writes the key, the other reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def credential_cipher(encryption_key: str, database_url: str) -> Fernet:
    """The cipher for model credentials on the instance whose database is `database_url`."""
    if encryption_key:
        key = encryption_key.encode()
    else:
        path = _key_file(database_url)
        if path is None:
            raise EncryptionKeyMissing(
                "secrets (model credentials, webhook secrets, the OpenPGP signing key) are "
                "encrypted at rest: set CLEARINGHOUSE_ENCRYPTION_KEY "
                "to a Fernet key (python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())') on every server of this instance"
            )
        key = _read_or_create_key_file(path)
    try:
        return Fernet(key)
    except ValueError:
        raise InvalidEncryptionKey(
            "CLEARINGHOUSE_ENCRYPTION_KEY is not a Fernet key (32 bytes, URL-safe base64)"
        ) from None


def encrypt_credential(cipher: Fernet, credential: str) -> bytes:
    return cipher.encrypt(credential.encode())


def decrypt_credential(cipher: Fernet, ciphertext: bytes) -> str:
    """For the benchmark runner (issue 7) only; no API route or page ever calls it."""
    try:
        return cipher.decrypt(ciphertext).decode()
    except InvalidToken:
        raise InvalidEncryptionKey(
            "the stored model credential does not open with this key; was the key changed?"
        ) from None
