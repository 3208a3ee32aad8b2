"""The root of every error this package raises on purpose.

Each area derives its own small hierarchy from `ClearinghouseError`; the API edge turns
them into RFC 9457 problems and the CLI edge into one red line.
"""


class ClearinghouseError(Exception):
    """Base class: something the caller can act on, with a message meant for people."""

    status_code = 400
    title = "Bad request"


class NotFound(ClearinghouseError):
    status_code = 404
    title = "Not found"


class Forbidden(ClearinghouseError):
    status_code = 403
    title = "Forbidden"


class Unauthenticated(ClearinghouseError):
    status_code = 401
    title = "Authentication required"


class Conflict(ClearinghouseError):
    status_code = 409
    title = "Conflict"
