"""REST API of advisories: /api/v1/advisories (draft, edit, publish, versions)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/advisories", tags=["advisories"])
