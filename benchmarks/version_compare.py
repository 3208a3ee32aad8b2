"""Versions parsed and compared per second, per ecosystem: ours against univers.

For each ecosystem a list of real-looking versions (PyPI and Go from the shared OSV data,
the others from each ecosystem's usual shapes) is parsed fresh (no cache), then every
parsed version is compared with its neighbour; the same with univers' class where it has
one; best of --repeat runs, as the machine is shared. Also the rate of cached parses
(`parse_version` on a warm cache), which is what scanning mostly sees. Figures: ADR 0005.

    python benchmarks/version_compare.py [--shared-data ../shared/data] [--n 20000]
"""

from __future__ import annotations

import argparse
import gc
import glob
import itertools
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import univers.versions as uv

from clearinghouse.matching import versions as ours

UNIVERS: dict[str, Any] = {
    "PyPI": uv.PypiVersion,
    "Go": uv.GolangVersion,
    "npm": uv.SemverVersion,
    "Maven": uv.MavenVersion,
    "RubyGems": uv.RubygemsVersion,
    "NuGet": uv.NugetVersion,
    "Packagist": uv.ComposerVersion,
    "Debian": uv.DebianVersion,
    "Alpine": uv.AlpineLinuxVersion,
}


def _from_osv(shared_data: Path, pattern: str, ecosystem: str) -> list[str]:
    found: set[str] = set()
    for path in glob.glob(str(shared_data / "osv" / pattern), recursive=True):
        text = Path(path).read_text()
        if path.endswith(".json"):
            doc = json.loads(text)
            for affected in doc.get("affected", []):
                for osv_range in affected.get("ranges", []):
                    for event in osv_range["events"]:
                        found.update(v for v in event.values() if v != "0")
        else:
            found.update(
                line.strip()[2:].strip("\"'")
                for line in text.splitlines()
                if line.startswith("  - ") and ":" not in line
            )
    result = ["v" + v if ecosystem == "Go" else v for v in sorted(found) if v]
    return [v for v in result if _valid(ecosystem, v)]


def _valid(ecosystem: str, version: str) -> bool:
    try:
        ours.parse_version(ecosystem, version)
    except ours.InvalidVersion:
        return False
    return True


def _synthetic(ecosystem: str, n: int, rng: random.Random) -> list[str]:
    def nums(k: int) -> str:
        return ".".join(str(rng.randint(0, 30)) for _ in range(k))

    shapes: dict[str, Callable[[], str]] = {
        "npm": lambda: nums(3) + rng.choice(["", "", "-beta.1", "-rc.2", "-alpha"]),
        "Maven": lambda: (
            nums(rng.randint(2, 3))
            + rng.choice(["", "", "-SNAPSHOT", ".Final", "-rc1", "-beta-2", ".RELEASE"])
        ),
        "RubyGems": lambda: (
            nums(rng.randint(2, 4)) + rng.choice(["", "", ".pre", ".rc1", ".beta2"])
        ),
        "NuGet": lambda: nums(rng.randint(3, 4)) + rng.choice(["", "", "-preview.1", "-beta"]),
        "Packagist": lambda: rng.choice(["", "v"]) + nums(3) + rng.choice(["", "-RC1", "-beta2"]),
        "Debian": lambda: (
            rng.choice(["", "1:"]) + nums(3) + rng.choice(["-1", "-2+deb12u1", "~rc1-1", "+dfsg-3"])
        ),
        "Alpine": lambda: (
            nums(3)
            + rng.choice(["", "_rc1", "_p2", "a", "_git20240101"])
            + f"-r{rng.randint(0, 9)}"
        ),
    }
    return [shapes[ecosystem]() for _ in range(n)]


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f}"


def _measure(ecosystem: str, versions: list[str]) -> dict[str, float | None]:
    ordering = ours.ecosystem_ordering(ecosystem)
    key = ours._KEYS[ordering]  # the parse itself, below the cache
    start = time.perf_counter()
    parsed = [ours.Version(ordering, v, key(v)) for v in versions]
    our_parse = len(versions) / (time.perf_counter() - start)
    start = time.perf_counter()
    for a, b in itertools.pairwise(parsed):
        _ = a < b
    our_compare = (len(parsed) - 1) / (time.perf_counter() - start)
    for v in versions:
        ours.parse_version(ecosystem, v)
    start = time.perf_counter()
    for v in versions:
        ours.parse_version(ecosystem, v)
    our_cached = len(versions) / (time.perf_counter() - start)

    result: dict[str, float | None] = {
        "ours_parse": our_parse,
        "ours_compare": our_compare,
        "ours_cached_parse": our_cached,
        "univers_parse": None,
        "univers_compare": None,
    }
    cls = UNIVERS.get(ecosystem)
    if cls is not None:
        start = time.perf_counter()
        theirs = []
        for v in versions:
            try:
                theirs.append(cls(v))
            except Exception:
                continue
        result["univers_parse"] = len(versions) / (time.perf_counter() - start)
        start = time.perf_counter()
        for a, b in itertools.pairwise(theirs):
            _ = a < b
        result["univers_compare"] = (len(theirs) - 1) / (time.perf_counter() - start)
        result["univers_rejected"] = len(versions) - len(theirs)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    parser.add_argument("--shared-data", type=Path, default=here.parent / "shared" / "data")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    rng = random.Random(1)

    corpora = {
        "PyPI": _from_osv(args.shared_data, "pypi/**/*.yaml", "PyPI"),
        "Go": _from_osv(args.shared_data, "go/*.json", "Go"),
    }
    for ecosystem in ("npm", "Maven", "RubyGems", "NuGet", "Packagist", "Debian", "Alpine"):
        corpora[ecosystem] = _synthetic(ecosystem, args.n, rng)

    print(
        f"{'ecosystem':<10} {'versions':>8} {'ours parse/s':>12} {'ours cmp/s':>12} "
        f"{'cached/s':>12} {'univers parse/s':>15} {'univers cmp/s':>13} {'rejected':>8}"
    )
    for ecosystem, versions in corpora.items():
        rng.shuffle(versions)
        versions = versions[: args.n]
        # Earlier ecosystems' parsed versions stay cached; freezing them keeps the cyclic
        # GC from rescanning them and charging that to this ecosystem.
        gc.collect()
        gc.freeze()
        runs = [_measure(ecosystem, versions) for _ in range(args.repeat)]
        r = {k: max((run[k] for run in runs), default=None) for k in runs[0]}  # type: ignore[type-var]
        univers_parse = _rate(1, 1 / r["univers_parse"]) if r["univers_parse"] else "-"
        univers_cmp = _rate(1, 1 / r["univers_compare"]) if r["univers_compare"] else "-"
        print(
            f"{ecosystem:<10} {len(versions):>8} {_rate(1, 1 / r['ours_parse'])} "
            f"{_rate(1, 1 / r['ours_compare'])} {_rate(1, 1 / r['ours_cached_parse'])} "
            f"{univers_parse:>15} {univers_cmp:>13} {r.get('univers_rejected', '-'):>8}"
        )


if __name__ == "__main__":
    main()
