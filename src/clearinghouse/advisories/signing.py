"""OpenPGP signatures over published documents, with the key this instance holds.

The instance key (Ed25519, user id `Settings.csaf_openpgp_uid`) is made on first use and
kept in the `openpgp_keys` table, the armoured secret key inside a Fernet token made with
the instance's encryption key (`review.secrets.credential_cipher`), so that it survives
restarts and every server process of the instance signs with the same key. Signing runs
the system's GnuPG (through python-gnupg) in a temporary GNUPGHOME (mode 0700, in memory
under /dev/shm where there is one) made for one batch of signatures and removed after it,
its gpg-agent stopped: no long-lived keyring holds the secret. Two processes racing to
make the key are settled by the unique `purpose`: the loser drops its key and reads the
winner's. See docs/decisions/0012-openpgp-signing.md.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

import gnupg
import orjson
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearinghouse.advisories.openpgp_keys import OpenPgpKey
from clearinghouse.audit import chain as audit
from clearinghouse.errors import ClearinghouseError
from clearinghouse.review.secrets import credential_cipher
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

log = logging.getLogger(__name__)

CSAF_KEY_PURPOSE = "csaf"
KEY_ALGORITHM = "ed25519"
_GPG_BINARY = "gpg"


class SigningError(ClearinghouseError):
    """GnuPG could not make a key or a signature, or the stored key does not open."""

    title = "OpenPGP signing failed"


class Signer(Protocol):
    """Makes detached, ASCII-armoured OpenPGP signatures (the CSAF provider's `.asc` files)."""

    @property
    def fingerprint(self) -> str: ...

    def public_key_armored(self) -> str: ...

    def sign_detached(self, data: bytes) -> str: ...


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about the instance key: never the secret half."""

    fingerprint: str
    algorithm: str
    user_id: str
    public_key: str
    created_at: str


def _temporary_home() -> Path:
    # /dev/shm keeps the unpacked secret key in memory only; mkdtemp makes it 0700.
    shm = Path("/dev/shm")  # noqa: S108 (a private mkdtemp inside it, not a fixed name)
    parent = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="ch-gpg-", dir=parent))


@contextmanager
def _gnupg_home() -> Iterator[gnupg.GPG]:
    home = _temporary_home()
    try:
        yield gnupg.GPG(gpgbinary=_GPG_BINARY, gnupghome=str(home))
    finally:
        # The agent started for this home holds the unpacked key in memory: stop it.
        subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],  # noqa: S607
            capture_output=True,
            check=False,
            timeout=30,
        )
        shutil.rmtree(home, ignore_errors=True)


def _gpg_failure(what: str, result: object) -> SigningError:
    # GnuPG's status lines name the problem; its stderr could quote key material: not logged.
    status = getattr(result, "status", None) or "no status"
    return SigningError(f"GnuPG could not {what}: {status}")


def _generate_key(user_id: str) -> tuple[str, str, str]:
    """A fresh Ed25519 signing key: (fingerprint, armoured public key, armoured secret key).

    The secret key carries no passphrase of its own: at rest it lives only inside the
    Fernet token, whose key a passphrase would have to sit beside anyway.
    """
    name, email = parseaddr(user_id)
    if not email or "@" not in email:
        raise SigningError(
            f"CLEARINGHOUSE_CSAF_OPENPGP_UID {user_id!r} must read 'Name <address@example.org>'"
        )
    with _gnupg_home() as gpg:
        request = gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            key_usage="sign",
            name_real=name or "Clearinghouse CSAF",
            name_email=email,
            expire_date=0,
            no_protection=True,
        )
        result = gpg.gen_key(request)
        fingerprint = result.fingerprint
        if not fingerprint:
            raise _gpg_failure("make the instance key", result)
        public_key = gpg.export_keys(fingerprint)
        secret_key = gpg.export_keys(fingerprint, secret=True, expect_passphrase=False)
    if "PUBLIC KEY BLOCK" not in public_key or "PRIVATE KEY BLOCK" not in secret_key:
        raise SigningError("GnuPG made a key but did not export it")
    return fingerprint, public_key, secret_key


def _stored(session: Session, purpose: str) -> OpenPgpKey | None:
    return session.execute(
        select(OpenPgpKey).where(OpenPgpKey.purpose == purpose)
    ).scalar_one_or_none()


def _insert_key(session: Session, row: OpenPgpKey, actor: str) -> bool:
    """Insert in a savepoint; False when another process inserted its key first."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            audit.append(
                session,
                actor=actor,
                action="openpgp_key.create",
                subject_type="openpgp_key",
                subject_id=row.fingerprint,
                after={"fingerprint": row.fingerprint, "purpose": row.purpose},
                details={"algorithm": row.algorithm, "user_id": row.user_id},
            )
    except IntegrityError:
        return False
    return True


def ensure_key(
    session: Session,
    cipher: Fernet,
    *,
    user_id: str,
    purpose: str = CSAF_KEY_PURPOSE,
    actor: str = "system",
) -> OpenPgpKey:
    """The stored key for `purpose`, made now if there is none (in the caller's transaction)."""
    existing = _stored(session, purpose)
    if existing is not None:
        return existing
    fingerprint, public_key, secret_key = _generate_key(user_id)
    sealed = cipher.encrypt(orjson.dumps({"secret_key": secret_key}))
    row = OpenPgpKey(
        purpose=purpose,
        fingerprint=fingerprint,
        algorithm=KEY_ALGORITHM,
        user_id=user_id,
        public_key=public_key,
        secret_ciphertext=sealed,
        created_by=actor,
    )
    if _insert_key(session, row, actor):
        log.info("made the instance OpenPGP key %s (%s)", fingerprint, purpose)
        return row
    winner = _stored(session, purpose)
    if winner is None:  # the unique clash was on something else: say so, do not loop
        raise SigningError("could not store the instance OpenPGP key")
    return winner


class SigningBatch:
    """Signs many documents with one unpacked key; only valid inside `GnupgSigner.batch()`."""

    def __init__(self, gpg: gnupg.GPG, fingerprint: str) -> None:
        self._gpg = gpg
        self._fingerprint = fingerprint

    def sign_detached(self, data: bytes) -> str:
        result = self._gpg.sign(data, keyid=self._fingerprint, detach=True, binary=False)
        signature = str(result)
        if not result.data or "BEGIN PGP SIGNATURE" not in signature:
            raise _gpg_failure("sign", result)
        return signature


class GnupgSigner:
    """The instance key as a `Signer`: the secret key is opened only for a signing batch."""

    def __init__(self, key: OpenPgpKey, cipher: Fernet | Callable[[], Fernet]) -> None:
        self._fingerprint = key.fingerprint
        self._public_key = key.public_key
        self._sealed = key.secret_ciphertext
        self._cipher = cipher
        self.info = KeyInfo(
            fingerprint=key.fingerprint,
            algorithm=key.algorithm,
            user_id=key.user_id,
            public_key=key.public_key,
            created_at=key.created_at.isoformat() if key.created_at else "",
        )

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"GnupgSigner(fingerprint={self._fingerprint!r})"

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def public_key_armored(self) -> str:
        return self._public_key

    def _secret_key(self) -> str:
        try:
            cipher = self._cipher if isinstance(self._cipher, Fernet) else self._cipher()
            opened = orjson.loads(cipher.decrypt(self._sealed))
        except InvalidToken:
            raise SigningError(
                "the stored OpenPGP key does not open with this instance's encryption key; "
                "was CLEARINGHOUSE_ENCRYPTION_KEY changed?"
            ) from None
        secret: str = opened["secret_key"]
        return secret

    @contextmanager
    def batch(self) -> Iterator[SigningBatch]:
        """A temporary keyring holding the key, for signing many documents in a row."""
        with _gnupg_home() as gpg:
            imported = gpg.import_keys(self._secret_key())
            if self._fingerprint not in (imported.fingerprints or []):
                raise _gpg_failure("import the instance key", imported)
            yield SigningBatch(gpg, self._fingerprint)

    def sign_detached(self, data: bytes) -> str:
        with self.batch() as batch:
            return batch.sign_detached(data)


def instance_cipher(settings: Settings) -> Fernet:
    return credential_cipher(settings.encryption_key, settings.database_url)


def signer_in(session: Session, settings: Settings, *, actor: str = "system") -> GnupgSigner:
    """The instance signer, its key made in `session`'s transaction if there is none yet."""
    cipher = instance_cipher(settings)
    key = ensure_key(session, cipher, user_id=settings.csaf_openpgp_uid, actor=actor)
    return GnupgSigner(key, cipher)


def instance_signer(
    settings: Settings,
    *,
    session: Session | None = None,
    db: Database | None = None,
    actor: str = "system",
) -> GnupgSigner:
    """The instance's signer (its key created on first use).

    Pass the `session` of a transaction that is already writing (publication), so that
    a first-use key creation joins it rather than waiting for SQLite's write lock; else
    `db`, else the settings' database is opened for the look-up.
    """
    if session is not None:
        return signer_in(session, settings, actor=actor)
    database = db or Database(settings.database_url)
    try:
        with database.read_session() as reading:
            key = _stored(reading, CSAF_KEY_PURPOSE)
        if key is not None:
            # Reading the public half needs no encryption key; signing asks for it then.
            return GnupgSigner(key, lambda: instance_cipher(settings))
        cipher = instance_cipher(settings)
        with database.session() as writing:
            key = ensure_key(writing, cipher, user_id=settings.csaf_openpgp_uid, actor=actor)
        return GnupgSigner(key, cipher)
    finally:
        if db is None:
            database.dispose()
