"""CVE JSON 5 records (the CVE Program's format): structural checks and conversion to OSV."""

from __future__ import annotations

import re
from typing import Any, NoReturn
from urllib.parse import urlsplit

import orjson

from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.formats.osv import OSV_SCHEMA, normalise_timestamp, validate_osv

_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,19}")
_CWE_ID = re.compile(r"CWE-\d+")
_STATES = ("PUBLISHED", "REJECTED")

# Package collections (by host) whose packages OSV names; anything else stays in database_specific.
_ECOSYSTEMS = {
    "pypi.org": "PyPI",
    "pypi.python.org": "PyPI",
    "crates.io": "crates.io",
    "npmjs.com": "npm",
    "npmjs.org": "npm",
    "registry.npmjs.org": "npm",
    "pkg.go.dev": "Go",
    "proxy.golang.org": "Go",
    "golang.org": "Go",
    "repo.maven.apache.org": "Maven",
    "repo1.maven.org": "Maven",
    "search.maven.org": "Maven",
    "central.sonatype.com": "Maven",
    "rubygems.org": "RubyGems",
    "nuget.org": "NuGet",
    "api.nuget.org": "NuGet",
    "packagist.org": "Packagist",
}
_METRICS = (("cvssV3_1", "CVSS_V3"), ("cvssV3_0", "CVSS_V3"), ("cvssV4_0", "CVSS_V4"))
_REFERENCE_TYPES = {
    "patch": "FIX",
    "vendor-advisory": "ADVISORY",
    "third-party-advisory": "ADVISORY",
    "vdb-entry": "ADVISORY",
    "issue-tracking": "REPORT",
    "exploit": "EVIDENCE",
    "technical-description": "ARTICLE",
    "media-coverage": "ARTICLE",
    "mailing-list": "DISCUSSION",
    "signature": "DETECTION",
}


def _vector_patterns() -> dict[str, re.Pattern[str]]:
    # The OSV schema's own patterns for each severity type, so a CNA's malformed vector is
    # left out rather than making the whole conversion fail.
    patterns = {}
    for rule in OSV_SCHEMA["$defs"]["severity"]["items"]["allOf"]:
        kind = rule["if"]["properties"]["type"]["const"]
        score = rule["then"]["properties"]["score"]
        if "pattern" in score:
            patterns[kind] = re.compile(score["pattern"])
    return patterns


_VECTOR_PATTERNS = _vector_patterns()


def load_cve5(data: bytes, *, source: str = "") -> dict[str, Any]:
    """Parse one CVE record and check the parts the conversion relies on."""
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = "not valid UTF-8" if "UTF-8" in str(exc) else f"not valid JSON: {exc}"
        raise InvalidRecord(reason, source=source) from exc
    check = _Check(source)
    check.expect(record, "$", dict)
    if record.get("dataType") != "CVE_RECORD":
        check.fail("$.dataType", "dataType must be 'CVE_RECORD'")
    version = record.get("dataVersion")
    if not isinstance(version, str) or not version.startswith("5."):
        check.fail("$.dataVersion", f"not a CVE JSON 5 record (dataVersion {version!r})")
    metadata = check.field(record, "$", "cveMetadata", dict)
    cve_id = check.field(metadata, "$.cveMetadata", "cveId", str)
    if not _CVE_ID.fullmatch(cve_id):
        check.fail("$.cveMetadata.cveId", f"not a CVE id: {cve_id!r}")
    state = check.field(metadata, "$.cveMetadata", "state", str)
    if state not in _STATES:
        check.fail("$.cveMetadata.state", f"state must be PUBLISHED or REJECTED, not {state!r}")
    for field in ("dateUpdated", "datePublished", "dateRejected", "dateReserved"):
        if field in metadata:
            check.timestamp(metadata[field], f"$.cveMetadata.{field}")
    if not any(f in metadata for f in ("dateUpdated", "datePublished", "dateRejected")):
        check.fail("$.cveMetadata.dateUpdated", "the record has no date to use as 'modified'")
    containers = check.field(record, "$", "containers", dict)
    cna = check.field(containers, "$.containers", "cna", dict)
    at = "$.containers.cna"
    if "title" in cna:
        check.expect(cna["title"], f"{at}.title", str)
    texts = "rejectedReasons" if state == "REJECTED" else "descriptions"
    for i, text in enumerate(check.field(cna, at, texts, list)):
        check.expect(text, f"{at}.{texts}[{i}]", dict)
        check.field(text, f"{at}.{texts}[{i}]", "lang", str)
        check.field(text, f"{at}.{texts}[{i}]", "value", str)
    for i, reference in enumerate(check.optional_list(cna, at, "references")):
        check.expect(reference, f"{at}.references[{i}]", dict)
        check.field(reference, f"{at}.references[{i}]", "url", str)
        for j, tag in enumerate(check.optional_list(reference, f"{at}.references[{i}]", "tags")):
            check.expect(tag, f"{at}.references[{i}].tags[{j}]", str)
    for i, metric in enumerate(check.optional_list(cna, at, "metrics")):
        check.expect(metric, f"{at}.metrics[{i}]", dict)
        for key, _ in _METRICS:
            if key in metric:
                cvss = check.field(metric, f"{at}.metrics[{i}]", key, dict)
                check.field(cvss, f"{at}.metrics[{i}].{key}", "vectorString", str)
    for i, product in enumerate(check.optional_list(cna, at, "affected")):
        where = f"{at}.affected[{i}]"
        check.expect(product, where, dict)
        for key in ("vendor", "product", "collectionURL", "packageName", "defaultStatus"):
            if key in product:
                check.expect(product[key], f"{where}.{key}", str)
        for j, version in enumerate(check.optional_list(product, where, "versions")):
            check.expect(version, f"{where}.versions[{j}]", dict)
            check.field(version, f"{where}.versions[{j}]", "version", str)
            check.field(version, f"{where}.versions[{j}]", "status", str)
            for key in ("lessThan", "lessThanOrEqual"):
                if key in version:
                    check.expect(version[key], f"{where}.versions[{j}].{key}", str)
    for i, problem in enumerate(check.optional_list(cna, at, "problemTypes")):
        check.expect(problem, f"{at}.problemTypes[{i}]", dict)
        for j, item in enumerate(
            check.optional_list(problem, f"{at}.problemTypes[{i}]", "descriptions")
        ):
            check.expect(item, f"{at}.problemTypes[{i}].descriptions[{j}]", dict)
    return record


def cve5_to_osv(record: dict[str, Any]) -> dict[str, Any]:
    """The OSV form of a record checked by `load_cve5`; the rest goes to database_specific."""
    metadata = record["cveMetadata"]
    cna = record["containers"]["cna"]
    rejected = metadata["state"] == "REJECTED"
    modified = (
        metadata.get("dateUpdated") or metadata.get("dateRejected") or metadata["datePublished"]
    )
    doc: dict[str, Any] = {"id": metadata["cveId"], "modified": normalise_timestamp(modified)}
    if "datePublished" in metadata:
        doc["published"] = normalise_timestamp(metadata["datePublished"])
    if rejected:
        doc["withdrawn"] = normalise_timestamp(metadata.get("dateRejected") or modified)
    if "title" in cna:
        doc["summary"] = cna["title"]
    details = _english(cna.get("rejectedReasons" if rejected else "descriptions", []))
    if details is not None:
        doc["details"] = details
    severity = _severity(cna.get("metrics", []))
    if severity:
        doc["severity"] = severity
    affected = [a for a in (_affected(product) for product in cna.get("affected", [])) if a]
    if affected:
        doc["affected"] = affected
    references = _references(cna.get("references", []))
    if references:
        doc["references"] = references
    cve5: dict[str, Any] = {"state": metadata["state"]}
    if "assignerShortName" in metadata:
        cve5["assigner"] = metadata["assignerShortName"]
    if "affected" in cna:
        cve5["affected"] = cna["affected"]
    doc["database_specific"] = {"cve5": cve5, "cwe_ids": _cwe_ids(cna.get("problemTypes", []))}
    return validate_osv(doc, source=metadata["cveId"])


def _english(texts: list[dict[str, str]]) -> str | None:
    for text in texts:
        if text["lang"].lower() in ("en", "eng") or text["lang"].lower().startswith("en-"):
            return text["value"]
    return texts[0]["value"] if texts else None


def _severity(metrics: list[dict[str, Any]]) -> list[dict[str, str]]:
    chosen: dict[str, str] = {}
    for key, kind in _METRICS:  # cvssV3_1 before cvssV3_0: the first V3 vector wins
        for metric in metrics:
            vector = metric.get(key, {}).get("vectorString")
            if vector and kind not in chosen and _VECTOR_PATTERNS[kind].search(vector):
                chosen[kind] = vector
    return [{"type": kind, "score": vector} for kind, vector in chosen.items()]


def _references(references: list[dict[str, Any]]) -> list[dict[str, str]]:
    seen: set[str] = set()
    out = []
    for reference in references:
        url = reference["url"]
        if url in seen:
            continue
        seen.add(url)
        types = [_REFERENCE_TYPES[t] for t in reference.get("tags", []) if t in _REFERENCE_TYPES]
        out.append({"type": types[0] if types else "WEB", "url": url})
    return out


def _cwe_ids(problem_types: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for problem in problem_types:
        for item in problem.get("descriptions", []):
            # Some CNAs fill cweId, others only write 'CWE-400: ...' in the description.
            for text in (item.get("cweId"), item.get("description")):
                match = _CWE_ID.match(text) if isinstance(text, str) else None
                if match and match.group() not in ids:
                    ids.append(match.group())
    return ids


def _ecosystem(collection_url: str) -> str | None:
    host = (urlsplit(collection_url).hostname or "").lower().removeprefix("www.")
    return _ECOSYSTEMS.get(host)


def _affected(product: dict[str, Any]) -> dict[str, Any] | None:
    """An OSV `affected` entry for a product in a package collection OSV knows, else None."""
    ecosystem = _ecosystem(product.get("collectionURL", ""))
    name = product.get("packageName")
    if ecosystem is None or not name:
        return None
    ranges: list[dict[str, Any]] = []
    versions: list[str] = []
    for version in product.get("versions", []):
        if version["status"] != "affected":
            continue
        if "lessThan" in version:
            events = [{"introduced": version["version"]}]
            if version["lessThan"] != "*":
                events.append({"fixed": version["lessThan"]})
            ranges.append({"type": "ECOSYSTEM", "events": events})
        elif "lessThanOrEqual" in version:
            events = [{"introduced": version["version"]}]
            if version["lessThanOrEqual"] != "*":
                events.append({"last_affected": version["lessThanOrEqual"]})
            ranges.append({"type": "ECOSYSTEM", "events": events})
        else:
            versions.append(version["version"])
    if not ranges and not versions:
        return None
    package: dict[str, Any] = {"ecosystem": ecosystem, "name": name}
    affected: dict[str, Any] = {"package": package}
    if ecosystem == "Go":
        # Go's CNA names the module in `vendor` and the package in `packageName`, as OSV's
        # Go records do with `name` and `ecosystem_specific.imports`.
        vendor = product.get("vendor", "")
        if vendor == "Go standard library":
            package["name"] = "stdlib"
        elif vendor and (name == vendor or name.startswith(vendor + "/")):
            package["name"] = vendor
        routines = [r["name"] for r in product.get("programRoutines", []) if "name" in r]
        imports: dict[str, Any] = {"path": name}
        if routines:
            imports["symbols"] = routines
        affected["ecosystem_specific"] = {"imports": [imports]}
    if ranges:
        affected["ranges"] = ranges
    if versions:
        affected["versions"] = versions
    return affected


class _Check:
    """Structural checks that raise InvalidRecord with the JSON path at fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, reason: str) -> NoReturn:
        raise InvalidRecord(reason, source=self.source, path=path)

    def expect(self, value: object, path: str, kind: type) -> None:
        if not isinstance(value, kind):
            names: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
            self.fail(path, f"must be {names.get(kind, kind.__name__)}")

    def field(self, obj: dict[str, Any], at: str, key: str, kind: type) -> Any:
        if key not in obj:
            self.fail(f"{at}.{key}", f"'{key}' is required")
        self.expect(obj[key], f"{at}.{key}", kind)
        return obj[key]

    def optional_list(self, obj: dict[str, Any], at: str, key: str) -> list[Any]:
        if key not in obj:
            return []
        items: list[Any] = self.field(obj, at, key, list)
        return items

    def timestamp(self, value: object, path: str) -> None:
        self.expect(value, path, str)
        try:
            normalise_timestamp(str(value))
        except InvalidRecord as exc:
            self.fail(path, exc.reason)
