"""The CSAF 2.0 trusted-provider layout under /.well-known/csaf/, and OSV exports."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["csaf provider"])
