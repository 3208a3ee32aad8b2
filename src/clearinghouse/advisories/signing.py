"""OpenPGP signatures over published documents, with the key this instance holds."""

from __future__ import annotations

from typing import Protocol

from clearinghouse.settings import Settings


class Signer(Protocol):
    """Makes detached, ASCII-armoured OpenPGP signatures (the CSAF provider's `.asc` files)."""

    @property
    def fingerprint(self) -> str: ...

    def public_key_armored(self) -> str: ...

    def sign_detached(self, data: bytes) -> str: ...


def instance_signer(settings: Settings) -> Signer:
    """The instance's signer (its key created on first use)."""
    raise NotImplementedError("being written (issue 5)")
