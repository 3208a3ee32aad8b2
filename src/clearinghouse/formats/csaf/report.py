"""What validating a CSAF document found: failures with their test id, JSON pointer and reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from clearinghouse.formats.errors import FormatError

# The pseudo test id of a failure found by the JSON schema rather than by a test of section 6.1.
SCHEMA = "schema"


@dataclass(frozen=True, slots=True)
class CsafFailure:
    """One failure: `test_id` ("schema" or "6.1.8"), `path` a JSON pointer, `message` the reason."""

    test_id: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.test_id} {self.path or '/'}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"test": self.test_id, "path": self.path or "/", "message": self.message}


@dataclass(frozen=True, slots=True)
class CsafReport:
    """The outcome of `validate_csaf`: valid when there is no failure at all."""

    failures: list[CsafFailure] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.failures

    @property
    def failed_tests(self) -> frozenset[str]:
        return frozenset(failure.test_id for failure in self.failures)

    def as_dict(self) -> dict[str, object]:
        return {"valid": self.valid, "failures": [f.as_dict() for f in self.failures]}


class CsafInvalid(FormatError):
    """A CSAF document failed the schema or a mandatory test; `report` says where and why."""

    title = "Invalid CSAF document"

    def __init__(self, report: CsafReport) -> None:
        self.report = report
        shown = "; ".join(str(failure) for failure in report.failures[:5])
        more = len(report.failures) - 5
        super().__init__(
            f"not a valid CSAF 2.0 document: {shown}" + (f" (and {more} more)" if more > 0 else "")
        )


def pointer(*parts: str | int) -> str:
    """`pointer("vulnerabilities", 0, "cve")` -> `/vulnerabilities/0/cve` (RFC 6901 escaping)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)
