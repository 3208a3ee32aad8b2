"""The instance's OpenPGP signing keys, the secret half encrypted at rest with Fernet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


class OpenPgpKey(Base):
    """One signing key per purpose ("csaf"); the unique purpose settles a creation race."""

    __tablename__ = "openpgp_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(300))
    public_key: Mapped[str] = mapped_column(Text)  # ASCII-armoured, served to anyone
    # Fernet token over the passphrase-protected armoured secret key and its passphrase:
    # never logged, never returned by any route or command.
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
