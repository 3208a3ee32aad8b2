"""Imports every area's ORM models so that `Base.metadata` knows the whole schema."""

from clearinghouse.audit.models import AuditChainHead, AuditEvent
from clearinghouse.identity.models import ApiToken, Organisation, User, WebSession
from clearinghouse.reports.models import Report
from clearinghouse.review.models import (
    AccessGrant,
    FrontierModel,
    ModelVersion,
    Notification,
    PartnerDesignation,
    Review,
    ReviewActivity,
    ReviewAssignment,
    ReviewFinding,
    ReviewNote,
)
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
    "AccessGrant",
    "AffectedPackage",
    "AliasGroup",
    "AliasLink",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "FrontierModel",
    "IdBlock",
    "KevEntry",
    "ModelVersion",
    "Notification",
    "Organisation",
    "PartnerDesignation",
    "Report",
    "Review",
    "ReviewActivity",
    "ReviewAssignment",
    "ReviewFinding",
    "ReviewNote",
    "User",
    "Vulnerability",
    "VulnerabilityRevision",
    "WebSession",
]
