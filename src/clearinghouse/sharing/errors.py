"""Errors of sharing groups and labels: unknown groups and members, ill-formed requests.

`UnknownSharingGroup` reads the same whether the group does not exist or the asker is not
one of its members, so that a 404 never confirms that a group exists.
"""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class SharingError(ClearinghouseError):
    """A sharing-group or labelling request the caller can correct."""

    status_code = 422
    title = "Invalid sharing request"


class InvalidGroupSlug(SharingError):
    title = "Invalid sharing group slug"


class InvalidGroupField(SharingError):
    title = "Invalid sharing group field"


class UnknownSharingGroup(SharingError, NotFound):
    status_code = 404
    title = "Unknown sharing group"


class UnknownMember(SharingError, NotFound):
    status_code = 404
    title = "Unknown organisation or user"


class UserNotInOrganisation(SharingError):
    title = "User not in the organisation"


class DuplicateSharingGroup(SharingError, Conflict):
    status_code = 409
    title = "Sharing group exists"


class DuplicateMember(SharingError, Conflict):
    status_code = 409
    title = "Already a member"


class NotAMember(SharingError, NotFound):
    status_code = 404
    title = "Not a member"


class UnknownLabelledResource(SharingError, NotFound):
    status_code = 404
    title = "Not found"


class InvalidLabel(SharingError):
    title = "Invalid label"
