"""Vehicles tests never reach the internet: decoders and OpenAI are off unless a fake turns them on,
and files go to a temporary folder."""

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _offline_vendors(settings: Any) -> None:
    settings.VPIC_ENABLED = False
    settings.CLEARVIN_EMAIL = ""
    settings.CLEARVIN_PASSWORD = ""
    settings.OPENAI_API_KEY = ""


@pytest.fixture(autouse=True)
def _temporary_media(vehicle_media: Any) -> None:
    return None


@pytest.fixture(autouse=True)
def _fresh_saved_search_index() -> None:
    """Each test starts with an empty in-memory saved-search index: searches of a rolled-back test are gone
    from the database (matching would drop them on confirmation; tests that look at candidates see none)."""
    from vehicles.saved_search_index import INDEX

    INDEX.reset()
