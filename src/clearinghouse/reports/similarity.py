"""How alike two reports' texts are: a score from 0 to 1, and the hash bands that find candidates.

The score is the cosine of the two texts' TF-IDF vectors: each normalised word (lower case,
a sentence said twice counted once, common English words dropped) weighs (1 + log of how
often the text uses it) x (1 + log of how rare it is among all reports taken in). Rare
words (a function name, a file, a parameter) decide; the words every report of a product
shares ("TensorFlow is an open source platform for machine learning", a feed's boiler-
plate) count for little. How rare a word is comes from `report_terms`, the document
frequencies intake keeps in the database, so every server scores alike.

Candidates are found with MinHash and locality-sensitive hashing over the texts' word sets:
each text gets `NUM_PERM` minimum hashes, cut into `BANDS` bands of `ROWS`; two texts that
share any band are scored. With 42 bands of 3 rows, a pair whose word sets have a Jaccard
similarity of 0.4 shares a band with probability 1 - (1 - 0.4**3)**42 = 0.94 (0.5: 0.996),
one of 0.1 with probability 0.04. Why TF-IDF and MinHash, and how the thresholds were picked
from a labelled set of real records: docs/decisions/0010-report-deduplication.md and
benchmarks/near_duplicates.py.

MinHash is written here rather than taken from `datasketch`: the bands must be identical
in every server process and across releases (they are stored), which a dozen lines of
hashlib guarantee (Python's own `hash` is salted per process), and the project takes no
new dependency for it.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = [
    "BANDS",
    "DUPLICATE_THRESHOLD",
    "NUM_PERM",
    "ROWS",
    "SIMILAR_THRESHOLD",
    "jaccard",
    "minhash",
    "text_bands",
    "text_features",
    "text_similarity",
    "text_terms",
    "tfidf_cosine",
]

# From benchmarks/near_duplicates.py on the labelled set of real records (see the ADR):
# 0.70 gives the best F1 end to end; at 0.50 recall is 0.985, so pairs between the two
# are shown to analysts as "similar", never linked on their own.
DUPLICATE_THRESHOLD = 0.7
SIMILAR_THRESHOLD = 0.5
MAX_TERM_CHARS = 200
IDF_PRIOR = 20

BANDS = 42
ROWS = 3
NUM_PERM = BANDS * ROWS
_UNPACK = struct.Struct(f"<{NUM_PERM}I").unpack

_TOKEN = re.compile(r"[a-z0-9_]+(?:[.\-/][a-z0-9_]+)*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Words that say nothing about which vulnerability a report is about: English glue, and
# the vocabulary every vulnerability report shares.
_STOP_WORDS = frozenset(
    re.findall(
        r"\w+",
        """
        a an the of to in and or for on by with is are be was were been being this that these
        those it its as at from which who whom whose what where when how why can could may might
        must not no if than then into via has have had also such other all any some only more
        most there their they them do does did so but because up out over under about after
        would should will shall affected version versions vulnerability vulnerable package user
        users attacker attackers issue allows allow
        """,
    )
)


def _sentences(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for sentence in _SENTENCE.split(text):
        key = sentence.strip().lower()
        if key:
            seen.setdefault(key, None)
    return list(seen)


def text_terms(*parts: str) -> Counter[str]:
    """The normalised words of a report's title and description, with how often each is used."""
    terms: Counter[str] = Counter()
    for part in parts:
        for sentence in _sentences(part):
            terms.update(
                word[:MAX_TERM_CHARS]
                for word in _TOKEN.findall(sentence)
                if len(word) > 1 and word not in _STOP_WORDS
            )
    return terms


def text_features(*parts: str) -> frozenset[str]:
    """The set of normalised words: what the hash bands are made of."""
    return frozenset(text_terms(*parts))


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _weights(
    terms: Mapping[str, int], frequencies: Mapping[str, int], documents: int
) -> dict[str, float]:
    # Smoothed by `IDF_PRIOR` pseudo-reports that use no word: with few reports taken in
    # every word weighs about the same (the plain cosine of word counts), so that the first
    # handful of reports does not make a reworded duplicate's new words look decisive.
    return {
        term: (1.0 + math.log(count))
        * (1.0 + math.log((documents + IDF_PRIOR) / (frequencies.get(term, 0) + IDF_PRIOR)))
        for term, count in terms.items()
        if count > 0
    }


def tfidf_cosine(
    left: Mapping[str, int],
    right: Mapping[str, int],
    frequencies: Mapping[str, int],
    documents: int,
) -> float:
    """The score: cosine of the TF-IDF vectors of two texts' word counts."""
    a = _weights(left, frequencies, documents)
    b = _weights(right, frequencies, documents)
    dot = sum(weight * b[term] for term, weight in a.items() if term in b)
    if dot == 0.0:
        return 0.0
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return min(1.0, dot / norm)


def text_similarity(
    left: tuple[str, str],
    right: tuple[str, str],
    frequencies: Mapping[str, int] | None = None,
    documents: int = 0,
) -> float:
    """The score of two (title, description) pairs, given the document frequencies."""
    return tfidf_cosine(text_terms(*left), text_terms(*right), frequencies or {}, documents)


def minhash(features: Iterable[str]) -> list[int]:
    """`NUM_PERM` minimum hashes; an empty text has none (and so no bands).

    Each word's `NUM_PERM` hash values are one SHAKE-128 output cut into 32-bit words: as
    good as `NUM_PERM` independent hash functions for MinHash, and one C call per word.
    """
    rows = [_UNPACK(hashlib.shake_128(word.encode()).digest(4 * NUM_PERM)) for word in features]
    if not rows:
        return []
    return [min(column) for column in zip(*rows, strict=True)]


def text_bands(features: Iterable[str]) -> list[int]:
    """The text's band buckets, as signed 64-bit ints: texts sharing one are compared.

    The band's number is hashed in with its rows, so one bucket value names one band.
    """
    signature = minhash(features)
    if not signature:
        return []
    buckets = []
    for band in range(BANDS):
        rows = signature[band * ROWS : (band + 1) * ROWS]
        digest = hashlib.blake2b(struct.pack(f"<H{ROWS}I", band, *rows), digest_size=8).digest()
        buckets.append(int.from_bytes(digest, "big", signed=True))
    return buckets
