"""Public pages (no login): the programme, events.ics and events.json. Mounted by the review app."""

from fastapi import APIRouter

router = APIRouter()
