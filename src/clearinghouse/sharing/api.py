"""REST API of sharing groups: /api/v1/sharing-groups."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/sharing-groups", tags=["sharing"])
