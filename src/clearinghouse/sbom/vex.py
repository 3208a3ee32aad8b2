"""The VEX statements of an upload, kept so that findings that appear later honour them too.

An SBOM may say "not_affected by CVE-X" about a component before any record of CVE-X is
stored; when intake later brings CVE-X, re-matching must reach the same verdict that a
fresh upload would (`matching.scan` applies the same rule to the statements it reads).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson

from clearinghouse.formats.components import VexStatement


def dump_statements(statements: Iterable[VexStatement]) -> str:
    return orjson.dumps(
        [
            {
                "vulnerability": s.vulnerability,
                "state": s.state,
                "justification": s.justification,
                "detail": s.detail,
                "refs": list(s.refs),
            }
            for s in statements
        ]
    ).decode()


def load_statements(text: str | None) -> tuple[VexStatement, ...]:
    if not text:
        return ()
    return tuple(
        VexStatement(
            vulnerability=str(item["vulnerability"]),
            state=str(item["state"]),
            justification=item.get("justification"),
            detail=item.get("detail"),
            refs=tuple(item.get("refs") or ()),
        )
        for item in orjson.loads(text)
    )


def _names(ref: str, bom_ref: str | None, purl: str | None) -> bool:
    # A ref is a bom-ref, a purl, or a BOM-Link "urn:cdx:<serial>/<version>#<bom-ref>".
    if bom_ref and (ref == bom_ref or ref.endswith("#" + bom_ref)):
        return True
    return purl is not None and ref == purl


def statement_for(
    statements: Sequence[VexStatement],
    aliases: Iterable[str],
    *,
    bom_ref: str | None,
    purl: str | None,
) -> VexStatement | None:
    """The SBOM author's statement on this vulnerability for this component, if any."""
    ids = {alias.upper() for alias in aliases}
    for statement in statements:
        if statement.vulnerability.upper() not in ids:
            continue
        if not statement.refs or any(_names(ref, bom_ref, purl) for ref in statement.refs):
            return statement
    return None
