"""Large list counts are cached briefly (any ordering shares one count); small ones are always exact."""

import pytest

from accounts.models import User
from core import paginator as module
from core.paginator import CachedCountPaginator
from tests.fixtures.core import clear_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    clear_cache()
    yield
    clear_cache()


def test_a_large_count_is_served_from_the_cache_for_any_ordering(user_factory, monkeypatch):
    monkeypatch.setattr(module, "CACHE_FROM", 3)
    for _ in range(3):
        user_factory()
    total = User.objects.count()
    assert CachedCountPaginator(User.objects.order_by("pk"), 2).count == total
    user_factory()
    assert CachedCountPaginator(User.objects.order_by("-email"), 2).count == total  # cached, half a minute old
    clear_cache()
    assert CachedCountPaginator(User.objects.order_by("pk"), 2).count == total + 1


def test_a_small_count_is_always_exact(user_factory, monkeypatch):
    monkeypatch.setattr(module, "CACHE_FROM", 1000)
    user_factory()
    before = CachedCountPaginator(User.objects.all(), 10).count
    user_factory()
    assert CachedCountPaginator(User.objects.all(), 10).count == before + 1


def test_different_filters_have_different_counts(user_factory, monkeypatch):
    monkeypatch.setattr(module, "CACHE_FROM", 1)
    staff = user_factory(is_staff=True)
    user_factory()
    assert CachedCountPaginator(User.objects.filter(pk=staff.pk), 10).count == 1
    assert CachedCountPaginator(User.objects.all(), 10).count == User.objects.count()
