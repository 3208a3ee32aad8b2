"""Pages of model review: for developers, reviewers and partners."""

from fastapi import APIRouter

router = APIRouter()
