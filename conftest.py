"""Fixtures for every test in the repository; each app's fixtures live in tests/fixtures/<app>.py."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytest_plugins = [
    "tests.fixtures.core",
    "tests.fixtures.notifications",
    "tests.fixtures.accounts",
    "tests.fixtures.vehicles",
    "tests.fixtures.auctions",
    "tests.fixtures.orders",
    "tests.fixtures.live_server",
    "tests.fakes.authorize_net",
    "tests.fixtures.browser",
]


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Browser tests are marked e2e; Playwright's sync API holds an event loop, so they run in their own pass."""
    import pytest

    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


import pytest  # noqa: E402


@pytest.fixture
def django_db_serialized_rollback() -> bool:
    """Transactional tests flush the database when they end; restore the rows that data migrations
    seed (fee tables, increment tiers, the Site) so later tests on the same worker still see them."""
    return True
