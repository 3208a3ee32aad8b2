"""Matching: package identity (purl), version orderings per ecosystem, OSV range evaluation."""

from clearinghouse.matching.errors import (
    InvalidPackageUrl,
    InvalidVersion,
    MatchingError,
    UnsupportedEcosystem,
    UnsupportedPackage,
)
from clearinghouse.matching.purl import PackageRef, parse_purl, to_purl
from clearinghouse.matching.ranges import (
    AffectedVersions,
    affected_by,
    fixed_versions,
    nearest_fix,
    record_affects,
)
from clearinghouse.matching.versions import Version, compare, ecosystem_ordering, parse_version

__all__ = [
    "AffectedVersions",
    "InvalidPackageUrl",
    "InvalidVersion",
    "MatchingError",
    "PackageRef",
    "UnsupportedEcosystem",
    "UnsupportedPackage",
    "Version",
    "affected_by",
    "compare",
    "ecosystem_ordering",
    "fixed_versions",
    "nearest_fix",
    "parse_purl",
    "parse_version",
    "record_affects",
    "to_purl",
]
