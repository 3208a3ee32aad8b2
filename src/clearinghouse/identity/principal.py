"""Who is asking: the facts about a person (or the local CLI) that authorisation decides on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import object_session

from clearinghouse.identity.models import OrgKind, Role, User


@dataclass(frozen=True)
class Principal:
    """A snapshot of the asker, detached from any database session.

    `cli_name` is set only for the machine owner acting through the CLI
    (`local_operator`), which has the operator's authority but no user row.

    `amber_groups` are the sharing groups this person reads TLP:AMBER in (their
    organisation is a member, or they are named); `red_groups` those they are named in
    individually, which alone opens TLP:RED (see `identity.policy`).
    """

    user_id: int | None
    email: str
    role: Role | None
    organisation_id: int | None
    organisation_slug: str | None
    organisation_kind: OrgKind | None
    cli_name: str | None = None
    amber_groups: frozenset[int] = frozenset()
    red_groups: frozenset[int] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.cli_name is not None

    @property
    def actor(self) -> str:
        """The name the audit log records for this principal's changes."""
        if self.cli_name is not None:
            return f"cli:{self.cli_name}"
        if self.user_id is not None:
            return f"user:{self.email}"
        return "anonymous"


ANONYMOUS = Principal(
    user_id=None,
    email="",
    role=None,
    organisation_id=None,
    organisation_slug=None,
    organisation_kind=None,
)


def _sharing_groups(user: User) -> tuple[frozenset[int], frozenset[int]]:
    """(groups the user reads AMBER in, groups the user is named in) from the user's session."""
    from clearinghouse.sharing.models import SharingGroupMember

    session = object_session(user)
    if session is None:
        return frozenset(), frozenset()
    rows = session.execute(
        select(SharingGroupMember.group_id, SharingGroupMember.user_id).where(
            SharingGroupMember.organisation_id == user.organisation_id,
            or_(SharingGroupMember.user_id.is_(None), SharingGroupMember.user_id == user.id),
        )
    ).all()
    amber = frozenset(group_id for group_id, _ in rows)
    red = frozenset(group_id for group_id, named in rows if named == user.id)
    return amber, red


def principal_for(user: User) -> Principal:
    """The snapshot of `user`, with the sharing groups read through the user's own session."""
    organisation = user.organisation
    amber_groups, red_groups = _sharing_groups(user)
    return Principal(
        user_id=user.id,
        email=user.email,
        role=user.role,
        organisation_id=organisation.id,
        organisation_slug=organisation.slug,
        organisation_kind=organisation.kind,
        amber_groups=amber_groups,
        red_groups=red_groups,
    )


def local_operator(name: str = "cli") -> Principal:
    """The CLI acting with the machine owner's authority: an operator of no organisation."""
    return Principal(
        user_id=None,
        email="",
        role=Role.operator,
        organisation_id=None,
        organisation_slug=None,
        organisation_kind=None,
        cli_name=name,
    )
