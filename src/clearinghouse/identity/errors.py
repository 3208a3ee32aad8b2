"""Errors of the identity area: unknown, duplicate or ill-formed organisations, people, labels."""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class IdentityError(ClearinghouseError):
    """Something about organisations, users, tokens or sessions the caller can correct."""

    status_code = 422
    title = "Invalid identity request"


class UnknownOrganisation(IdentityError, NotFound):
    status_code = 404
    title = "Unknown organisation"


class UnknownUser(IdentityError, NotFound):
    status_code = 404
    title = "Unknown user"


class UnknownToken(IdentityError, NotFound):
    status_code = 404
    title = "Unknown API token"


class DuplicateOrganisation(IdentityError, Conflict):
    status_code = 409
    title = "Organisation already exists"


class DuplicateUser(IdentityError, Conflict):
    status_code = 409
    title = "User already exists"


class RoleNotAllowed(IdentityError):
    """The role is not one an organisation of this kind may hold (DESIGN.md, "Who uses it")."""

    title = "Role not allowed for this organisation"


class WeakPassword(IdentityError):
    title = "Password too weak"


class InvalidSlug(IdentityError):
    title = "Invalid organisation slug"


class InvalidEmail(IdentityError):
    title = "Invalid e-mail address"


class InvalidTokenRequest(IdentityError):
    title = "Invalid API token request"


class UnknownTlpLabel(IdentityError, ValueError):
    """A Traffic Light Protocol label that is neither a TLP 2.0 name nor TLP 1.0's WHITE."""

    title = "Unknown TLP label"
