"""Coordinated disclosure: cases opened from validated reports, vendors, statements, embargoes.

The service functions take a session, the asker and `now`; the policy's disclosure
section decides every access; a case's advisory and OSV record are what it publishes.
"""

from clearinghouse.disclosure.contents import CaseContents, case_contents
from clearinghouse.disclosure.fields import CaseChanges
from clearinghouse.disclosure.models import CaseStatus, DisclosureCase, StatementStatus
from clearinghouse.disclosure.publication import draft_advisory, list_advisories, read_advisory
from clearinghouse.disclosure.service import (
    invite_vendor,
    list_cases,
    move_case,
    open_case,
    post_message,
    post_statement,
    remove_vendor,
    update_case,
)

__all__ = [
    "CaseChanges",
    "CaseContents",
    "CaseStatus",
    "DisclosureCase",
    "StatementStatus",
    "case_contents",
    "draft_advisory",
    "invite_vendor",
    "list_advisories",
    "list_cases",
    "move_case",
    "open_case",
    "post_message",
    "post_statement",
    "read_advisory",
    "remove_vendor",
    "update_case",
]
