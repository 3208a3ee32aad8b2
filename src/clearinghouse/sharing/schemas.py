"""The JSON shapes of the sharing-group and labelling API (requests are size-limited)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from clearinghouse.sharing.labels import Label
from clearinghouse.sharing.service import GroupView, MemberView
from clearinghouse.sharing.shared import SharedFinding


class GroupIn(BaseModel):
    slug: str = Field(min_length=2, max_length=63, examples=["energy-isac"])
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class MemberIn(BaseModel):
    """An organisation (it reads TLP:AMBER); with `user`, one person of it named (and RED)."""

    organisation: str = Field(min_length=1, max_length=64, examples=["gridco"])
    user: str | None = Field(default=None, max_length=254, examples=["soc@gridco.example"])


class MemberOut(BaseModel):
    organisation: str
    organisation_name: str
    user: str | None = Field(description="The person named; None: the whole organisation")

    @classmethod
    def of(cls, member: MemberView) -> MemberOut:
        return cls(
            organisation=member.organisation,
            organisation_name=member.organisation_name,
            user=member.user,
        )


class GroupOut(BaseModel):
    slug: str
    name: str
    description: str
    created_by: str
    members: list[MemberOut]

    @classmethod
    def of(cls, group: GroupView) -> GroupOut:
        return cls(
            slug=group.slug,
            name=group.name,
            description=group.description,
            created_by=group.created_by,
            members=[MemberOut.of(m) for m in group.members],
        )


class LabelIn(BaseModel):
    """A whole label: the TLP 2.0 label and the sharing group (none when left out)."""

    tlp: str = Field(min_length=1, max_length=20, examples=["AMBER", "TLP:RED"])
    sharing_group: str | None = Field(default=None, max_length=63)


class VulnLabelIn(LabelIn):
    owner: str | None = Field(default=None, max_length=64, description="Owner organisation")
    embargo_ends_at: datetime | None = Field(default=None, description="With a time zone")


class LabelOut(BaseModel):
    tlp: str
    sharing_group: str | None
    owner: str | None = None
    embargo_ends_at: datetime | None = None

    @classmethod
    def of(cls, label: Label) -> LabelOut:
        return cls(
            tlp=label.tlp,
            sharing_group=label.sharing_group,
            owner=label.owner,
            embargo_ends_at=label.embargo_ends_at,
        )


class SharedFindingOut(BaseModel):
    id: int
    organisation: str
    inventory: str
    vulnerability: str
    summary: str
    severity: str
    ecosystem: str
    package: str
    version: str
    fixed_version: str | None
    status: str
    tlp: str

    @classmethod
    def of(cls, finding: SharedFinding) -> SharedFindingOut:
        return cls(**finding.__dict__)
