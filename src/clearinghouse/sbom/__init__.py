"""Inventories: organisations' SBOMs, their findings and history, and continuous re-matching."""

from clearinghouse.sbom.rematch import RematchResult, rematch_records
from clearinghouse.sbom.service import (
    UploadOutcome,
    get_finding,
    get_inventory,
    list_inventories,
    set_finding_status,
    upload_document,
    upload_sbom,
)

__all__ = [
    "RematchResult",
    "UploadOutcome",
    "get_finding",
    "get_inventory",
    "list_inventories",
    "rematch_records",
    "set_finding_status",
    "upload_document",
    "upload_sbom",
]
