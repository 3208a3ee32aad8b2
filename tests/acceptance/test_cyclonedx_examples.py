"""Issue 3, acceptance 3: every SBOM in ../shared/data/sbom/cyclonedx-examples (the
CycloneDX/bom-examples repository @ aaa24717) parses, or fails with a clear reason that this test
asserts, and the component counts match the files.

What to expect of each file is worked out from the raw file with the standard library alone,
independently of the reader: JSON the standard parser refuses must fail as "not valid JSON"; a
specVersion (JSON) or namespace (XML) outside 1.2 to 1.6 must fail as "unsupported spec version";
every other file must parse, unless `SCHEMA_FAILURES` names it with the reason it breaks the
schema, and then `declared` must equal the number of component objects in the file: the
`components` array and every `components` array nested in its components (not
`metadata.component`, which is the subject, nor services).

CLEARINGHOUSE_SBOM_EXAMPLES points the test at another copy of the folder.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.formats import FormatError, read_sbom

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("CLEARINGHOUSE_SHARED_DATA", REPO.parent / "shared" / "data"))
EXAMPLES = Path(
    os.environ.get("CLEARINGHOUSE_SBOM_EXAMPLES") or SHARED_DATA / "sbom" / "cyclonedx-examples"
)
SUPPORTED = {"1.2", "1.3", "1.4", "1.5", "1.6"}

# Files that break the CycloneDX schema of the version they declare, and how (seen in the
# bom-examples files read so far; a file that fails otherwise shows its message, to be added).
SCHEMA_FAILURES = {
    # supplier.url is one string where CycloneDX 1.4 wants an array of URLs.
    "MBOM/Example-1/bom.json": (
        '$.components[0].supplier.url: not valid CycloneDX 1.4: "https://www.samtec.com/" is '
        'not of type "array"'
    ),
    # "response": "will_not_fix" where CycloneDX 1.4 wants an array of responses.
    "VEX/vex.json": (
        "$.vulnerabilities[0].analysis.response: not valid CycloneDX 1.4: "
        '"will_not_fix" is not of type "array"'
    ),
}

_XML_NAMESPACE = re.compile(r"\{http://cyclonedx\.org/schema/bom/([^}]*)\}")


def _example_files() -> list[str]:
    if not EXAMPLES.is_dir():
        return []
    return sorted(
        str(path.relative_to(EXAMPLES))
        for path in EXAMPLES.rglob("*")
        if path.is_file() and path.suffix in (".json", ".xml")
    )


FILES = _example_files()
MISSING = pytest.mark.skip(
    reason=f"the CycloneDX examples folder is missing: {EXAMPLES} (CycloneDX/bom-examples @ "
    "aaa24717, see ../shared/data/README.md; or set CLEARINGHOUSE_SBOM_EXAMPLES)"
)


def _expected_failure(relative: str, raw: bytes) -> str | None:
    """The reason the reader must give for this file, or None if it must parse."""
    if relative.endswith(".json"):
        try:
            document: Any = json.loads(raw)
        except ValueError:
            return "not valid JSON"
        version = document.get("specVersion") if isinstance(document, dict) else None
    else:
        match = _XML_NAMESPACE.match(ElementTree.fromstring(raw).tag)
        version = match.group(1) if match else None
    if version not in SUPPORTED:
        return f"unsupported spec version {version!r}"
    return SCHEMA_FAILURES.get(relative)


def _count_json(items: object) -> int:
    if not isinstance(items, list):
        return 0
    return sum(1 + _count_json(item.get("components")) for item in items if isinstance(item, dict))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _count_xml(components: ElementTree.Element | None) -> int:
    if components is None:
        return 0
    total = 0
    for component in components:
        if _local(component.tag) == "component":
            nested = next((c for c in component if _local(c.tag) == "components"), None)
            total += 1 + _count_xml(nested)
    return total


def _component_count(relative: str, raw: bytes) -> int:
    if relative.endswith(".json"):
        return _count_json(json.loads(raw).get("components"))
    root = ElementTree.fromstring(raw)
    return _count_xml(next((c for c in root if _local(c.tag) == "components"), None))


@pytest.mark.parametrize("relative", FILES or [pytest.param("(none)", marks=MISSING)])
def test_each_example_parses_or_fails_as_expected(relative: str) -> None:
    raw = (EXAMPLES / relative).read_bytes()
    expected = _expected_failure(relative, raw)
    if expected is not None:
        with pytest.raises(FormatError) as caught:
            read_sbom(raw, relative)
        assert expected in str(caught.value)
        assert str(caught.value).startswith(f"{relative}: ")
        return
    document = read_sbom(raw, relative)
    assert document.format == "CycloneDX"
    assert document.declared == _component_count(relative, raw)


@pytest.mark.parametrize("present", [pytest.param(bool(FILES), marks=[] if FILES else [MISSING])])
def test_the_examples_are_accounted_for(present: bool, capsys: pytest.CaptureFixture[str]) -> None:
    parsed = failed = components = usable = 0
    for relative in FILES:
        raw = (EXAMPLES / relative).read_bytes()
        try:
            document = read_sbom(raw, relative)
        except FormatError:
            failed += 1
            continue
        parsed += 1
        components += document.declared
        usable += len(document.components)
    assert parsed + failed == len(FILES) > 0
    with capsys.disabled():
        print(
            f"\n{EXAMPLES}: {len(FILES)} files, {parsed} parsed ({components} components, "
            f"{usable} with a usable purl), {failed} failed with the expected reason"
        )
