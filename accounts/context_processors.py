"""The slim "N of 3 steps done — continue" bar every page shows until a buyer is ready to bid (issue 16, 8)."""

import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts import selectors

READY_KEY = "accounts:ready_until"
READY_REMEMBERED_SECONDS = 300  # a buyer who loses a step (card expired, removed) sees the bar within 5 minutes


@dataclass(frozen=True)
class ReadinessBar:
    done: int
    total: int
    next_title: str
    next_url: str


def readiness_bar_for(request: HttpRequest) -> ReadinessBar | None:
    """None for visitors, staff, sellers, buyers who are ready, and on the checklist pages themselves."""
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff or getattr(user, "role", "") == "seller":
        return None
    if request.path in (reverse("accounts:ready"), reverse("accounts:hub")) or request.path.startswith("/admin/"):
        return None
    session = getattr(request, "session", None)
    if session is not None and session.get(READY_KEY, 0) > time.time():
        return None  # found ready a moment ago: no queries on every page for buyers who are ready
    steps = selectors.readiness_steps(user)
    pending = [step for step in steps if not step.done]
    if not pending:
        if session is not None:
            session[READY_KEY] = time.time() + READY_REMEMBERED_SECONDS
        return None
    return ReadinessBar(len(steps) - len(pending), len(steps), pending[0].title, pending[0].url)


def readiness(request: HttpRequest) -> dict[str, Any]:
    """Lazy: the three small queries run only when a page renders the bar (base.html does, for buyers)."""
    return {"readiness_bar": SimpleLazyObject(lambda: readiness_bar_for(request) or False)}
