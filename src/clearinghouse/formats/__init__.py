"""Pure readers and writers for the standard vulnerability formats: bytes in, plain values out."""

from clearinghouse.formats.cve5 import cve5_to_osv, load_cve5
from clearinghouse.formats.detect import Format, detect_format
from clearinghouse.formats.errors import FormatError, InvalidRecord
from clearinghouse.formats.kev import KevCatalog, KevEntry, kev_entry_errors, load_kev_catalog
from clearinghouse.formats.osv import (
    dump_osv,
    load_osv_json,
    load_osv_yaml,
    parse_timestamp,
    validate_osv,
)
from clearinghouse.formats.rustsec import RustsecAdvisory, parse_rustsec, rustsec_to_osv
from clearinghouse.formats.sbom import read_sbom

__all__ = [
    "Format",
    "FormatError",
    "InvalidRecord",
    "KevCatalog",
    "KevEntry",
    "RustsecAdvisory",
    "cve5_to_osv",
    "detect_format",
    "dump_osv",
    "kev_entry_errors",
    "load_cve5",
    "load_kev_catalog",
    "load_osv_json",
    "load_osv_yaml",
    "parse_rustsec",
    "parse_timestamp",
    "read_sbom",
    "rustsec_to_osv",
    "validate_osv",
]
