"""The errors of package identity and version matching, each naming what it could not read."""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError


class MatchingError(ClearinghouseError):
    """Base class of the matching area."""

    title = "Cannot match"


class InvalidVersion(MatchingError):
    """A version string that its ecosystem's rules cannot read."""

    title = "Invalid version"

    def __init__(self, ecosystem: str, text: str, reason: str = "") -> None:
        self.ecosystem = ecosystem
        self.text = text
        self.reason = reason
        detail = f": {reason}" if reason else ""
        super().__init__(f"{text!r} is not a valid {ecosystem} version{detail}")


class UnsupportedEcosystem(MatchingError):
    """An ecosystem whose version ordering we do not implement."""

    title = "Unsupported ecosystem"

    def __init__(self, ecosystem: str) -> None:
        self.ecosystem = ecosystem
        super().__init__(f"no version ordering for the ecosystem {ecosystem!r}")


class InvalidPackageUrl(MatchingError):
    """Text that is not a package URL (purl) at all."""

    title = "Invalid package URL"

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        super().__init__(f"{text!r} is not a valid package URL: {reason}")


class UnsupportedPackage(MatchingError):
    """A valid purl of a type that maps to no OSV ecosystem we match."""

    title = "Unsupported package type"

    def __init__(self, purl: str, purl_type: str) -> None:
        self.purl = purl
        self.purl_type = purl_type
        super().__init__(
            f"purl type {purl_type!r} ({purl}) maps to no ecosystem the matcher supports"
        )
