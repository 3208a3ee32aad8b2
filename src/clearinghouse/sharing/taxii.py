"""A TAXII 2.1 server: discovery, API roots, collections per sharing group and TLP."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["taxii"])
