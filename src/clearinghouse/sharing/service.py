"""Sharing groups: operators create them and name their members; members read them; all audited.

Who may do what is `identity.policy`'s sharing section; a group the asker may not read
answers exactly as a group that does not exist (`UnknownSharingGroup`, a 404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.identity.models import Organisation, User
from clearinghouse.identity.policy import (
    SharingAction,
    require_sharing,
    sharing_group_filter,
    sharing_group_visible,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.sharing.errors import (
    DuplicateMember,
    DuplicateSharingGroup,
    InvalidGroupField,
    InvalidGroupSlug,
    NotAMember,
    UnknownMember,
    UnknownSharingGroup,
    UserNotInOrganisation,
)
from clearinghouse.sharing.models import SharingGroup, SharingGroupMember
from clearinghouse.storage.base import utcnow

GROUP_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
MAX_NAME = 200
MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class MemberView:
    """One membership: an organisation, and the person named in it if any."""

    organisation: str
    organisation_name: str
    user: str | None


@dataclass(frozen=True)
class GroupView:
    slug: str
    name: str
    description: str
    created_by: str
    members: list[MemberView]


def organisation_amber_groups(session: Session, organisation_id: int) -> frozenset[int]:
    """The groups an organisation itself is a member of (not through a person named).

    What its inventories are matched under (`identity.policy.inventory_reader`): a matcher
    is nobody named, so these open TLP:AMBER records, never RED ones.
    """
    return frozenset(
        session.scalars(
            select(SharingGroupMember.group_id).where(
                SharingGroupMember.organisation_id == organisation_id,
                SharingGroupMember.user_id.is_(None),
            )
        )
    )


def _group_state(group: SharingGroup) -> dict[str, str]:
    return {"slug": group.slug, "name": group.name, "description": group.description}


def _check_slug(slug: str) -> str:
    if not GROUP_SLUG.fullmatch(slug):
        raise InvalidGroupSlug(
            f"invalid sharing group slug {slug!r}: 2 to 63 characters, lower-case letters, "
            "digits and '-', starting with a letter or digit"
        )
    return slug


def _check_text(field: str, value: str, limit: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidGroupField(f"{field}: must not be empty")
    if len(value) > limit:
        raise InvalidGroupField(f"{field}: at most {limit} characters")
    return value


def group_by_slug(session: Session, slug: str) -> SharingGroup:
    """The group named `slug`, for any caller that has already been authorised."""
    group = session.scalar(select(SharingGroup).where(SharingGroup.slug == slug))
    if group is None:
        raise UnknownSharingGroup(f"no sharing group {slug!r}")
    return group


def readable_group(session: Session, principal: Principal, slug: str) -> SharingGroup:
    """The group, for its members and operators; a 404 for anyone else, as for no group."""
    require_sharing(principal, SharingAction.group_read)  # anonymous: log in first
    group = session.scalar(select(SharingGroup).where(SharingGroup.slug == slug))
    if group is None or not sharing_group_visible(principal, group.id):
        raise UnknownSharingGroup(f"no sharing group {slug!r}")
    return group


def _members(session: Session, group: SharingGroup) -> list[MemberView]:
    rows = session.execute(
        select(Organisation.slug, Organisation.name, User.email)
        .select_from(SharingGroupMember)
        .join(Organisation, Organisation.id == SharingGroupMember.organisation_id)
        .outerjoin(User, User.id == SharingGroupMember.user_id)
        .where(SharingGroupMember.group_id == group.id)
        .order_by(Organisation.slug, User.email.is_not(None), User.email)
    ).all()
    return [MemberView(org, name, email) for org, name, email in rows]


def _view(session: Session, group: SharingGroup) -> GroupView:
    return GroupView(
        group.slug, group.name, group.description, group.created_by, _members(session, group)
    )


def create_group(
    session: Session, principal: Principal, *, slug: str, name: str, description: str = ""
) -> GroupView:
    """A new, empty group (operators)."""
    require_sharing(principal, SharingAction.group_manage)
    slug = _check_slug(slug)
    name = _check_text("name", name, MAX_NAME, required=True)
    description = _check_text("description", description, MAX_DESCRIPTION, required=False)
    if session.scalar(select(SharingGroup.id).where(SharingGroup.slug == slug)) is not None:
        raise DuplicateSharingGroup(f"sharing group {slug!r} already exists")
    group = SharingGroup(
        slug=slug,
        name=name,
        description=description,
        created_by=principal.actor,
        created_at=utcnow(),
    )
    session.add(group)
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="sharing_group.create",
        subject_type="sharing_group",
        subject_id=str(group.id),
        after=_group_state(group),
    )
    return _view(session, group)


def list_groups(session: Session, principal: Principal) -> list[GroupView]:
    """The groups `principal` is a member of (every group, for operators), by slug."""
    require_sharing(principal, SharingAction.group_read)
    groups = session.scalars(
        select(SharingGroup)
        .where(sharing_group_filter(principal, group_column=SharingGroup.id))
        .order_by(SharingGroup.slug)
    )
    return [_view(session, group) for group in groups]


def show_group(session: Session, principal: Principal, slug: str) -> GroupView:
    return _view(session, readable_group(session, principal, slug))


def _organisation(session: Session, slug: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise UnknownMember(f"no organisation {slug!r}")
    return organisation


def _user_of(session: Session, organisation: Organisation, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise UnknownMember(f"no user {email!r}")
    if user.organisation_id != organisation.id:
        raise UserNotInOrganisation(
            f"user {user.email!r} belongs to {user.organisation.slug!r}, not {organisation.slug!r}"
        )
    return user


def _membership(
    group: SharingGroup, organisation: Organisation, user: User | None
) -> dict[str, object]:
    return {
        "group": group.slug,
        "organisation": organisation.slug,
        "user": user.email if user is not None else None,
    }


def _rematch_group(
    session: Session, principal: Principal, group: SharingGroup, person: User | None
) -> None:
    """An organisation joined or left: match inventories again against the group's AMBER
    records (a person named changes no inventory: inventories are matched as nobody)."""
    if person is not None:
        return
    # Imported here: the matcher itself asks this module for an organisation's groups.
    from clearinghouse.sbom.rematch import rematch_records
    from clearinghouse.vulnerabilities.models import Vulnerability

    osv_ids = session.scalars(
        select(Vulnerability.osv_id).where(
            Vulnerability.sharing_group_id == group.id, Vulnerability.tlp == "AMBER"
        )
    ).all()
    if osv_ids:
        rematch_records(session, osv_ids, actor=principal.actor, now=utcnow())


def add_member(
    session: Session,
    principal: Principal,
    *,
    slug: str,
    organisation: str,
    user: str | None = None,
) -> GroupView:
    """Add an organisation (AMBER) or, with `user`, a person of it named (AMBER and RED)."""
    require_sharing(principal, SharingAction.group_manage)
    group = group_by_slug(session, slug)
    member_org = _organisation(session, organisation)
    person = _user_of(session, member_org, user) if user else None
    user_id = person.id if person is not None else None
    existing = session.scalar(
        select(SharingGroupMember.id).where(
            SharingGroupMember.group_id == group.id,
            SharingGroupMember.organisation_id == member_org.id,
            SharingGroupMember.user_id.is_(None)
            if user_id is None
            else SharingGroupMember.user_id == user_id,
        )
    )
    if existing is not None:
        who = person.email if person is not None else member_org.slug
        raise DuplicateMember(f"{who} is already a member of {group.slug!r}")
    session.add(
        SharingGroupMember(
            group_id=group.id,
            organisation_id=member_org.id,
            user_id=user_id,
            added_by=principal.actor,
            added_at=utcnow(),
        )
    )
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="sharing_group.member_add",
        subject_type="sharing_group",
        subject_id=str(group.id),
        after=_membership(group, member_org, person),
    )
    _rematch_group(session, principal, group, person)
    return _view(session, group)


def remove_member(
    session: Session,
    principal: Principal,
    *,
    slug: str,
    organisation: str,
    user: str | None = None,
) -> GroupView:
    """Remove an organisation's membership or, with `user`, one named person."""
    require_sharing(principal, SharingAction.group_manage)
    group = group_by_slug(session, slug)
    member_org = _organisation(session, organisation)
    person = _user_of(session, member_org, user) if user else None
    member = session.scalar(
        select(SharingGroupMember).where(
            SharingGroupMember.group_id == group.id,
            SharingGroupMember.organisation_id == member_org.id,
            SharingGroupMember.user_id.is_(None)
            if person is None
            else SharingGroupMember.user_id == person.id,
        )
    )
    if member is None:
        who = person.email if person is not None else member_org.slug
        raise NotAMember(f"{who} is not a member of {group.slug!r}")
    session.delete(member)
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="sharing_group.member_remove",
        subject_type="sharing_group",
        subject_id=str(group.id),
        before=_membership(group, member_org, person),
    )
    _rematch_group(session, principal, group, person)
    return _view(session, group)
