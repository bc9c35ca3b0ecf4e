"""Console fixtures: staff members in each role."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group

from accounts.models import User


@pytest.fixture
def staff_in(user_factory: Any) -> Callable[[str], User]:
    """staff_in("support") -> a staff member (not superuser) whose only permissions come from that role."""

    def make(role: str) -> User:
        member = user_factory(is_staff=True, email=f"{role}-{user_factory._meta.next_sequence()}@staff.test")
        member.groups.add(Group.objects.get(name=role))
        return User.objects.get(pk=member.pk)  # fresh permission cache

    return make


@pytest.fixture
def console(client: Any, staff_in: Callable[[str], User]) -> Callable[[str], Any]:
    """console("finance") -> a test client logged in as a staff member in that role."""

    def make(role: str) -> Any:
        client.force_login(staff_in(role))
        return client

    return make
