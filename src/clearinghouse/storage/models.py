"""Imports every area's ORM models so that `Base.metadata` knows the whole schema."""

from clearinghouse.advisories.models import Advisory, AdvisoryVersion
from clearinghouse.advisories.openpgp_keys import OpenPgpKey
from clearinghouse.audit.models import AuditChainHead, AuditEvent
from clearinghouse.disclosure.models import (
    CaseAdvisory,
    CaseMessage,
    CaseReport,
    CaseStatement,
    CaseVendor,
    DisclosureCase,
)
from clearinghouse.evals.models import (
    CoverageDetermination,
    CoveragePolicyVersion,
    EvalRun,
    EvalRunLog,
    EvalSampleResult,
    RestrictedItemSet,
)
from clearinghouse.identity.models import ApiToken, Organisation, User, WebSession
from clearinghouse.notifications.models import (
    DeliveryAttempt,
    EmailRecipient,
    NotificationDelivery,
    NotificationFanout,
    WebhookSubscription,
)
from clearinghouse.reports.models import (
    Report,
    ReportAttachment,
    ReportEvent,
    ReportEvidence,
    ReportLink,
    ReportTerm,
    ReportTextBand,
)
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
from clearinghouse.sbom.models import (
    FindingEvent,
    FindingRecord,
    Inventory,
    InventoryComponent,
    InventoryFinding,
    SbomUpload,
)
from clearinghouse.sharing.models import SharingGroup, SharingGroupMember
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
    "Advisory",
    "AdvisoryVersion",
    "AffectedPackage",
    "AliasGroup",
    "AliasLink",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "CaseAdvisory",
    "CaseMessage",
    "CaseReport",
    "CaseStatement",
    "CaseVendor",
    "CoverageDetermination",
    "CoveragePolicyVersion",
    "DeliveryAttempt",
    "DisclosureCase",
    "EmailRecipient",
    "EvalRun",
    "EvalRunLog",
    "EvalSampleResult",
    "FindingEvent",
    "FindingRecord",
    "FrontierModel",
    "IdBlock",
    "Inventory",
    "InventoryComponent",
    "InventoryFinding",
    "KevEntry",
    "ModelVersion",
    "Notification",
    "NotificationDelivery",
    "NotificationFanout",
    "OpenPgpKey",
    "Organisation",
    "PartnerDesignation",
    "Report",
    "ReportAttachment",
    "ReportEvent",
    "ReportEvidence",
    "ReportLink",
    "ReportTerm",
    "ReportTextBand",
    "RestrictedItemSet",
    "Review",
    "ReviewActivity",
    "ReviewAssignment",
    "ReviewFinding",
    "ReviewNote",
    "SbomUpload",
    "SharingGroup",
    "SharingGroupMember",
    "User",
    "Vulnerability",
    "VulnerabilityRevision",
    "WebSession",
    "WebhookSubscription",
]
