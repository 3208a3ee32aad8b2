"""Model credentials at rest: the key from settings, a 0600 key file for SQLite, none invented."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from clearinghouse.review.errors import EncryptionKeyMissing, InvalidEncryptionKey
from clearinghouse.review.secrets import credential_cipher, decrypt_credential, encrypt_credential


def test_a_configured_key_encrypts_and_opens(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    cipher = credential_cipher(key, f"sqlite:///{tmp_path / 'c.db'}")
    token = encrypt_credential(cipher, "sk-secret")
    assert b"sk-secret" not in token
    assert decrypt_credential(credential_cipher(key, "postgresql+psycopg://h/db"), token) == (
        "sk-secret"
    )
    assert not (tmp_path / "c.db.key").exists()  # a configured key makes no file


def test_sqlite_without_a_key_keeps_one_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    token = encrypt_credential(credential_cipher("", url), "sk-secret")
    key_file = tmp_path / "c.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The next process reads the same key and opens what the first one wrote.
    assert decrypt_credential(credential_cipher("", url), token) == "sk-secret"


def test_postgresql_without_a_key_is_refused_by_name() -> None:
    with pytest.raises(EncryptionKeyMissing, match="CLEARINGHOUSE_ENCRYPTION_KEY"):
        credential_cipher("", "postgresql+psycopg://postgres@127.0.0.1/clearinghouse")


def test_a_wrong_key_is_refused_plainly(tmp_path: Path) -> None:
    with pytest.raises(InvalidEncryptionKey):
        credential_cipher("not-a-key", "sqlite:///x.db")
    token = encrypt_credential(
        credential_cipher(Fernet.generate_key().decode(), "sqlite:///x"), "s"
    )
    with pytest.raises(InvalidEncryptionKey, match="key"):
        decrypt_credential(Fernet(Fernet.generate_key()), token)
