"""Precision and recall of near-duplicate detection on a labelled set built from real records.

The labelled set (tests/reports/corpus.py `labelled_pairs`), from ../shared/data (PyPI, Go,
RustSec advisories, 7,753 records):

- duplicates: every pair of records in one alias group (records that name each other in
  `aliases`: the same vulnerability written up by two databases), and 1,500 records paired
  with a reworded re-report of themselves (sentences dropped and swapped, words replaced by
  synonyms, a preamble added: what a second model run writes);
- not duplicates: 3,000 pairs of records of the same package in different alias groups (the
  hard negatives: the same product, often the same boilerplate) and 1,500 random pairs.

Printed: for the production score (`clearinghouse.reports.similarity`: TF-IDF cosine of the
normalised words, with document frequencies counted over every record, as intake counts
them over every report taken in) precision, recall and F1 at each threshold, alone and end
to end (only pairs the MinHash bands make candidates can be found), and per kind of pair at
the chosen thresholds; and, for the ADR, the best F1 of the alternatives we considered.

    .venv/bin/python benchmarks/near_duplicates.py
"""

from __future__ import annotations

import argparse
import collections
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from clearinghouse.reports.similarity import (  # noqa: E402
    DUPLICATE_THRESHOLD,
    SIMILAR_THRESHOLD,
    jaccard,
    text_bands,
    text_features,
    text_terms,
    tfidf_cosine,
)
from reports.corpus import SHARED_DATA, Pair, labelled_pairs, load_records  # noqa: E402

Scored = list[tuple[float, bool, str]]


def _text(side: tuple[str, str]) -> str:
    return f"{side[0]}\n{side[1]}"


def sweep(scored: Scored) -> list[tuple[float, float, float, float]]:
    """(threshold, precision, recall, F1) at every step of 0.05."""
    rows = []
    positives = sum(1 for _, label, _ in scored if label)
    for step in range(1, 20):
        threshold = step / 20
        tp = sum(1 for s, label, _ in scored if label and s >= threshold)
        fp = sum(1 for s, label, _ in scored if not label and s >= threshold)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / positives if positives else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((threshold, precision, recall, f1))
    return rows


def by_kind(scored: Scored, threshold: float) -> dict[str, tuple[int, float]]:
    """Per kind of pair: how many, and the share scored at or above the threshold."""
    kinds: dict[str, list[bool]] = collections.defaultdict(list)
    for score, _, kind in scored:
        kinds[kind].append(score >= threshold)
    return {k: (len(v), sum(v) / len(v)) for k, v in sorted(kinds.items())}


# --- alternatives, for the ADR ---------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9_]+(?:[.\-/][a-z0-9_]+)*")


def _shingles(text: str, k: int) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return frozenset(tuple(words[i : i + k]) for i in range(max(1, len(words) - k + 1)))


def _tfidf(pairs: Sequence[Pair]) -> Callable[[str, str], float]:
    documents = {_text(p.left) for p in pairs} | {_text(p.right) for p in pairs}
    df: collections.Counter[str] = collections.Counter()
    for doc in documents:
        df.update(set(_WORD.findall(doc.lower())))
    n = len(documents)

    def vector(text: str) -> dict[str, float]:
        counts = collections.Counter(_WORD.findall(text.lower()))
        weights = {
            w: (1 + math.log(c)) * math.log((n + 1) / (df[w] + 1) + 1) for w, c in counts.items()
        }
        norm = math.sqrt(sum(x * x for x in weights.values())) or 1.0
        return {w: x / norm for w, x in weights.items()}

    def cosine(left: str, right: str) -> float:
        a, b = vector(left), vector(right)
        return sum(x * b.get(w, 0.0) for w, x in a.items())

    return cosine


def alternatives(pairs: Sequence[Pair]) -> dict[str, Callable[[str, str], float]]:
    return {
        "word sets, Jaccard (no corpus data)": lambda a, b: jaccard(
            text_features(a), text_features(b)
        ),
        "word 2-shingles, Jaccard": lambda a, b: jaccard(_shingles(a, 2), _shingles(b, 2)),  # type: ignore[arg-type]
        "word 3-shingles, Jaccard": lambda a, b: jaccard(_shingles(a, 3), _shingles(b, 3)),  # type: ignore[arg-type]
        "TF-IDF cosine, raw words, IDF of the pairs": _tfidf(pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--skip-alternatives", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    records = load_records(args.data)
    pairs = labelled_pairs(records)
    counts = collections.Counter((p.kind, p.duplicate) for p in pairs)
    print(f"records: {len(records)}; labelled pairs: {len(pairs)}")
    for (kind, duplicate), count in sorted(counts.items()):
        print(f"  {kind:13} {'duplicate' if duplicate else 'not duplicate':14} {count}")

    # Document frequencies as intake would have counted them had every record been reported.
    frequencies: collections.Counter[str] = collections.Counter()
    for record in records:
        frequencies.update(
            text_terms(
                str(record.doc.get("summary") or ""), str(record.doc.get("details") or "")
            ).keys()
        )
    documents = len(records)
    t0 = time.perf_counter()
    terms = [(text_terms(*p.left), text_terms(*p.right)) for p in pairs]
    features = [(frozenset(a), frozenset(b)) for a, b in terms]
    scored: Scored = [
        (tfidf_cosine(a, b, frequencies, documents), p.duplicate, p.kind)
        for (a, b), p in zip(terms, pairs, strict=True)
    ]
    per_pair_us = (time.perf_counter() - t0) / len(pairs) * 1e6
    # End to end, a pair is found only if the MinHash bands make it a candidate at all.
    banded = [bool(set(text_bands(a)) & set(text_bands(b))) for a, b in features]
    found: Scored = [
        (score if band else 0.0, label, kind)
        for (score, label, kind), band in zip(scored, banded, strict=True)
    ]
    print(f"\nproduction score: TF-IDF cosine of normalised words ({per_pair_us:.0f} us a pair)")
    print("           score alone                 end to end (band candidate, then score)")
    print("threshold  precision  recall    F1      precision  recall    F1")
    for (threshold, p1, r1, f1), (_, p2, r2, f2) in zip(sweep(scored), sweep(found), strict=True):
        mark = "  <- duplicate" if math.isclose(threshold, DUPLICATE_THRESHOLD) else ""
        mark = mark or ("  <- similar" if math.isclose(threshold, SIMILAR_THRESHOLD) else "")
        print(
            f"  {threshold:4.2f}     {p1:6.3f}   {r1:6.3f}  {f1:6.3f}     "
            f"{p2:6.3f}   {r2:6.3f}  {f2:6.3f}{mark}"
        )
    for threshold in (DUPLICATE_THRESHOLD, SIMILAR_THRESHOLD):
        print(f"at {threshold}: share of pairs scored at or above, by kind")
        for kind, (count, share) in by_kind(scored, threshold).items():
            print(f"  {kind:13} {count:5}  {share:6.3f}")

    total = sum(1 for score, label, _ in scored if label and score >= DUPLICATE_THRESHOLD)
    shared = sum(
        1
        for (score, label, _), band in zip(scored, banded, strict=True)
        if label and score >= DUPLICATE_THRESHOLD and band
    )
    negatives = sum(
        1 for (_, label, _), band in zip(scored, banded, strict=True) if not label and band
    )
    print(
        f"\nMinHash bands (42 x 3): {shared}/{total} duplicate pairs scoring at least "
        f"{DUPLICATE_THRESHOLD} share a band (candidate recall {shared / total:.3f}); "
        f"{negatives}/{sum(1 for p in pairs if not p.duplicate)} other pairs are candidates "
        "(scored exactly, then dropped)"
    )

    if not args.skip_alternatives:
        print("\nalternatives (best F1 over thresholds):")
        for name, score in alternatives(pairs).items():
            other = [(score(_text(p.left), _text(p.right)), p.duplicate, p.kind) for p in pairs]
            best = max(sweep(other), key=lambda row: row[3])
            print(
                f"  {name:34} F1 {best[3]:.3f} at {best[0]:.2f} "
                f"(precision {best[1]:.3f}, recall {best[2]:.3f})"
            )
    print(f"\ntook {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
