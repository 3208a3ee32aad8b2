"""Intake: take in feeds (OSV, RustSec, KEV, CVE 5), validate, normalise, alias-merge, store."""

from clearinghouse.intake.pipeline import IngestSummary, ingest_paths
from clearinghouse.intake.service import RecordOutcome, submit_record

__all__ = ["IngestSummary", "RecordOutcome", "ingest_paths", "submit_record"]
