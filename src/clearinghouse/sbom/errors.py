"""Errors of inventories: unknown ones (which read the same as ones you may not see), bad input."""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, NotFound


class InventoryError(ClearinghouseError):
    """An inventory request the caller can correct."""

    status_code = 422
    title = "Invalid inventory request"


class UnknownInventory(InventoryError, NotFound):
    """No such inventory, or one of another organisation: the two must read the same."""

    status_code = 404
    title = "Not found"


class UnknownFinding(InventoryError, NotFound):
    status_code = 404
    title = "Not found"


class UnknownUpload(InventoryError, NotFound):
    status_code = 404
    title = "Not found"


class UnknownOrganisation(InventoryError, NotFound):
    status_code = 404
    title = "Unknown organisation"


class SbomTooLarge(InventoryError):
    status_code = 413
    title = "SBOM too large"


class InvalidFindingStatus(InventoryError):
    title = "Invalid finding status"
