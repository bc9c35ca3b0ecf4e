"""Fixtures for every test in the repository; each app's fixtures live in tests/fixtures/<app>.py."""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytest_plugins = [
    "tests.fixtures.core",
    "tests.fixtures.notifications",
    "tests.fixtures.accounts",
    "tests.fixtures.vehicles",
    "tests.fixtures.auctions",
    "tests.fixtures.offers",
    "tests.fixtures.orders",
    "tests.fixtures.fulfillment",
    "tests.fixtures.live_server",
    "tests.fakes.authorize_net",
    "tests.fixtures.browser",
    "tests.fixtures.accessibility",
]


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Browser tests are marked e2e; Playwright's sync API holds an event loop, so they run in their own pass."""
    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


DB_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback")


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush every table when they end, data-migration rows included: give each
    database test the reference rows (fee tables, the Site) the product starts with."""
    if request.node.get_closest_marker("django_db") is None and not any(f in request.fixturenames for f in DB_FIXTURES):
        return
    request.getfixturevalue("_django_db_helper")
    from core.reference_data import ensure_reference_data

    ensure_reference_data()


@pytest.fixture(autouse=True)
def _fresh_inventory_index() -> None:
    """The inventory index is a per-process cache of the vehicles table; each test's database starts it anew
    (a rolled-back test's vehicles must not stay in it)."""
    from vehicles.inventory_index import inventory_index

    inventory_index().reset()


@pytest.fixture(autouse=True)
def _celery_not_inside_a_task() -> None:
    """No test body runs inside a Celery task. Celery keeps a process-wide "inside a task" flag that
    `celery.result.denied_join_result` saves and restores per eager call; eager tasks run from several threads
    at once (race tests, the live server) can leave it set, and a later `result.get()` would be refused.
    Celery has no public setter: this private one is pinned with celery (requirements.txt), and every test fails
    at this import if an upgrade removes it."""
    from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]

    _set_task_join_will_block(False)
