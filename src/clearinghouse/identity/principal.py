"""Who is asking: the facts about a person (or the local CLI) that authorisation decides on."""

from __future__ import annotations

from dataclasses import dataclass

from clearinghouse.identity.models import OrgKind, Role, User


@dataclass(frozen=True)
class Principal:
    """A snapshot of the asker, detached from any database session.

    `cli_name` is set only for the machine owner acting through the CLI
    (`local_operator`), which has the operator's authority but no user row.
    """

    user_id: int | None
    email: str
    role: Role | None
    organisation_id: int | None
    organisation_slug: str | None
    organisation_kind: OrgKind | None
    cli_name: str | None = None

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


def principal_for(user: User) -> Principal:
    organisation = user.organisation
    return Principal(
        user_id=user.id,
        email=user.email,
        role=user.role,
        organisation_id=organisation.id,
        organisation_slug=organisation.slug,
        organisation_kind=organisation.kind,
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
