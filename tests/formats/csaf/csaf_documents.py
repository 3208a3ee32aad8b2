"""Small valid CSAF 2.0 documents for tests to change one thing in."""

from __future__ import annotations

import copy
from typing import Any

_BASE: dict[str, Any] = {
    "document": {
        "category": "csaf_base",
        "csaf_version": "2.0",
        "publisher": {
            "category": "other",
            "name": "Clearinghouse tests",
            "namespace": "https://example.org",
        },
        "title": "Test document",
        "tracking": {
            "current_release_date": "2024-01-02T10:00:00.000Z",
            "id": "TEST-2024-0001",
            "initial_release_date": "2024-01-01T10:00:00.000Z",
            "revision_history": [
                {"date": "2024-01-01T10:00:00.000Z", "number": "1", "summary": "Initial version."},
                {"date": "2024-01-02T10:00:00.000Z", "number": "2", "summary": "Fix added."},
            ],
            "status": "final",
            "version": "2",
        },
    },
    "product_tree": {
        "full_product_names": [
            {"name": "Product A 1.0", "product_id": "PID-A"},
            {"name": "Product B 2.0", "product_id": "PID-B"},
        ],
        "product_groups": [{"group_id": "GID-AB", "product_ids": ["PID-A", "PID-B"]}],
    },
    "vulnerabilities": [
        {
            "cve": "CVE-2024-0001",
            "product_status": {"known_affected": ["PID-A"], "fixed": ["PID-B"]},
            "remediations": [
                {"category": "vendor_fix", "details": "Update to 2.0.", "product_ids": ["PID-A"]}
            ],
            "scores": [
                {
                    "products": ["PID-A"],
                    "cvss_v3": {
                        "version": "3.1",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        "baseScore": 9.8,
                        "baseSeverity": "CRITICAL",
                    },
                }
            ],
        }
    ],
}


def base_document() -> dict[str, Any]:
    """A fresh csaf_base document that passes the schema and every mandatory test."""
    return copy.deepcopy(_BASE)
