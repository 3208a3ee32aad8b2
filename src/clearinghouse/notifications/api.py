"""REST API of notification settings: /api/v1/webhooks and the delivery log."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/webhooks", tags=["notifications"])
