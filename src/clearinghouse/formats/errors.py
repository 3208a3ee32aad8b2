"""The errors a format reader raises: one type, carrying the file and the JSON path at fault."""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError


class FormatError(ClearinghouseError):
    """A document does not follow the format it claims to be in."""

    status_code = 422
    title = "Invalid record"


class InvalidRecord(FormatError):
    """One record is invalid; `source` names the file, `path` the offending JSON path."""

    def __init__(self, reason: str, *, source: str = "", path: str = "$") -> None:
        self.reason = reason
        self.source = source
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.path, self.reason) if part)

    def __repr__(self) -> str:
        return f"InvalidRecord({self.reason!r}, source={self.source!r}, path={self.path!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments do not survive the default pickling (worker processes).
        return (_rebuild, (self.reason, self.source, self.path))


def _rebuild(reason: str, source: str, path: str) -> InvalidRecord:
    return InvalidRecord(reason, source=source, path=path)


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """`["affected", 0, "ranges"]` -> `$.affected[0].ranges`; odd names are quoted."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.isidentifier():
            out.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out.append(f"['{escaped}']")
    return "".join(out)


def schema_error(error: object, *, source: str, prefix: str = "$") -> InvalidRecord:
    """A jsonschema_rs ValidationError as InvalidRecord; a missing property is named in the path."""
    parts: list[str | int] = list(getattr(error, "instance_path", ()))
    kind = getattr(error, "kind", None)
    missing = getattr(kind, "property", None) if type(kind).__name__ == "Required" else None
    if isinstance(missing, str):
        parts.append(missing)
    path = prefix + json_path(parts)[1:]
    return InvalidRecord(str(getattr(error, "message", error)), source=source, path=path)
