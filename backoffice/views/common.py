from typing import Any

from django.contrib.admin import site
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def require(request: HttpRequest, *permissions: str) -> None:
    """403 unless the staff member holds every permission named."""
    if not all(request.user.has_perm(p) for p in permissions):
        raise PermissionDenied


def console_context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {**site.each_context(request), "title": title, **extra}
