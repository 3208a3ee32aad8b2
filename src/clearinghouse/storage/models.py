"""Imports every area's ORM models so that `Base.metadata` knows the whole schema."""

from clearinghouse.audit.models import AuditChainHead, AuditEvent
from clearinghouse.identity.models import ApiToken, Organisation, User, WebSession
from clearinghouse.storage.base import Base
from clearinghouse.storage.ids import IdBlock
from clearinghouse.vulnerabilities.models import (
    AffectedPackage,
    AliasGroup,
    AliasLink,
    KevEntry,
    Vulnerability,
    VulnerabilityRevision,
)

__all__ = [
    "AffectedPackage",
    "AliasGroup",
    "AliasLink",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "IdBlock",
    "KevEntry",
    "Organisation",
    "User",
    "Vulnerability",
    "VulnerabilityRevision",
    "WebSession",
]
