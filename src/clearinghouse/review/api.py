"""REST API of model review: /api/v1/models and /api/v1/reviews."""

from fastapi import APIRouter

router = APIRouter(tags=["model review"])
