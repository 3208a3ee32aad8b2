"""Tell a feed file's format from its name and first bytes, without parsing the document."""

from __future__ import annotations

import re
from enum import StrEnum

HEAD_SIZE = 4096
"""How many leading bytes `detect_format` needs to see."""

_BOM = b"\xef\xbb\xbf"
# A JSON Schema (such as the KEV catalog's own schema, shipped beside it) names the
# fields it describes, so it would look like a document of the format it describes.
_JSON_SCHEMA = re.compile(rb'"\$schema"\s*:\s*"[^"]*json-schema\.org')
_CVE5 = re.compile(rb'"dataType"\s*:\s*"CVE_RECORD"|"cveMetadata"\s*:')
_KEV = re.compile(rb'"catalogVersion"\s*:')
_KEV_ENTRY = re.compile(rb'"cveID"\s*:')
_VULNERABILITIES = re.compile(rb'"vulnerabilities"\s*:')
# OSV's top-level field names; canonical (sorted-key) JSON may push 'id' past a long 'details'.
_OSV_FIELD = re.compile(
    rb'"(?:id|modified|published|aliases|affected|schema_version|summary|details)"\s*:'
)


class Format(StrEnum):
    osv_json = "osv-json"
    osv_yaml = "osv-yaml"
    rustsec = "rustsec"
    kev = "kev"
    cve5 = "cve5"


def detect_format(name: str, head: bytes) -> Format | None:
    """The format of a file called `name` (or 'archive.zip!member') starting with `head`."""
    member = name.rsplit("!", 1)[-1].rsplit("/", 1)[-1].lower()
    head = head[:HEAD_SIZE].removeprefix(_BOM)
    if member.endswith((".yaml", ".yml")):
        return Format.osv_yaml
    if member.endswith(".md"):
        return Format.rustsec if head.startswith(b"```toml") else None
    if not member.endswith(".json") or not head.lstrip().startswith(b"{"):
        return None
    if _JSON_SCHEMA.search(head):
        return None
    if _CVE5.search(head):
        return Format.cve5
    if _KEV.search(head) or (_VULNERABILITIES.search(head) and _KEV_ENTRY.search(head)):
        return Format.kev
    if b'"id"' in head and b'"modified"' in head:
        return Format.osv_json
    if _OSV_FIELD.search(head) and len(head) >= HEAD_SIZE:
        return Format.osv_json  # the names we look for may lie past the first bytes
    return None
