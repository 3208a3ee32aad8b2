"""Sharing groups: who, beyond the owner organisation, reads a TLP:AMBER or TLP:RED resource.

A resource (vulnerability, report, case, advisory, finding) may name one sharing group.
Under TLP:AMBER every user of a member organisation reads it; under TLP:RED only the
users named individually in the group do ("for the eyes and ears of individual
recipients only", TLP 2.0). The rules themselves live in `identity.policy`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


class SharingGroup(Base):
    __tablename__ = "sharing_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class SharingGroupMember(Base):
    """An organisation in a group; with `user_id`, one person of it named individually."""

    __tablename__ = "sharing_group_members"
    __table_args__ = (UniqueConstraint("group_id", "organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("sharing_groups.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200))
