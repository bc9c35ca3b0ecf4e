"""Who may try a password, and when: django-axes' handler, username and lockout hooks (settings block
"allauth / axes"). The policy, in plain words, is docs/accounts.md "Failed log-ins":

- every failure, on every door (site form, admin, `POST /api/auth/login`, a wrong API second factor), is counted
  under the normalised email it named and the client's address;
- an (account, address) pair with `AXES_FAILURE_LIMIT` failures in the cool-off window is refused;
- an address with `LOGIN_ADDRESS_FAILURE_LIMIT` failures over any accounts in the window is refused;
- an account with `LOGIN_ACCOUNT_SLOW_AFTER` failures from all addresses in the window is slowed, not locked:
  addresses it never logged in from share one try per `LOGIN_ACCOUNT_SLOW_SECONDS`; addresses it logged in from
  within `LOGIN_KNOWN_ADDRESS_DAYS` are never slowed.
A refused or slowed try is not a failure (it tried nothing) and answers 429 with Retry-After.
"""

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from core.api import error_body

LOCKED_MESSAGE = "Too many failed log-in attempts from your network. Try again later, or reset your password."
SLOWED_MESSAGE = "This account is receiving many failed log-ins; log-ins from new networks are slowed. Try again soon."
EMAIL_KEYS = ("email", "username", "login")


def normalised_email(value: object) -> str | None:
    """The email as accounts store it (trimmed, lower case); None for anything that is not a string."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()[:255]


def login_email(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the email a try named, whichever door (allauth passes `email`, the admin form
    `username`, the JWT serializer `email`), or from the posted form when axes has no credentials."""
    sources: list[Any] = [credentials or {}]
    if request is not None and not credentials:
        sources.append(getattr(request, "data", None) or getattr(request, "POST", {}))
    for source in sources:
        for key in EMAIL_KEYS:
            if hasattr(source, "get") and (email := normalised_email(source.get(key))):
                return email
    return None


@dataclass(frozen=True)
class Verdict:
    """Whether a try may go ahead; when not, why (`locked_out`, `login_slowed`) and for how many seconds."""

    allowed: bool
    code: str = ""
    retry_after: int = 0


ALLOWED = Verdict(allowed=True)


def _failures_since(attempts: "QuerySet[AccessAttempt]") -> tuple[int, Any]:
    totals = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    return totals["n"] or 0, totals["last"]


def _lock(last_failure: Any, cool_off: timedelta, now: Any) -> Verdict:
    remaining = (last_failure + cool_off - now).total_seconds() if last_failure else cool_off.total_seconds()
    return Verdict(allowed=False, code="locked_out", retry_after=max(1, math.ceil(remaining)))


def _under_attack(recent: "QuerySet[AccessAttempt]", email: str) -> bool:
    return _failures_since(recent.filter(username=email))[0] >= settings.LOGIN_ACCOUNT_SLOW_AFTER


def _known_address(email: str, ip: str | None, now: Any) -> bool:
    since = now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(username=email, ip_address=ip, attempt_time__gte=since).exists()


def _take_slow_slot(email: str) -> int:
    """One try per interval for the account from unknown addresses: 0 when this try has the slot, else the
    seconds until the next one (the slot lives in the shared cache, so every process agrees)."""
    interval = settings.LOGIN_ACCOUNT_SLOW_SECONDS
    key = "login-slow:" + hashlib.sha256(email.encode()).hexdigest()
    now = time.time()
    if cache.add(key, now, timeout=interval):
        return 0
    taken = cache.get(key)
    waited = now - taken if isinstance(taken, float) else 0.0
    return max(1, math.ceil(interval - waited))


def login_verdict(request: Any, credentials: dict[str, Any] | None, *, slowing: bool = True) -> Verdict:
    """Decide a try before the password is checked (counts within the cool-off window). Memoised on the
    request: axes asks once per `authenticate()`, and the slow slot must be taken once. `slowing=False`
    checks the locks only (after a failure, for the answer to that failure) and takes no slot."""
    if slowing and (cached := getattr(request, "login_verdict", None)) is not None:
        return cached  # type: ignore[no-any-return]
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
    email = get_client_username(request, credentials)
    ip = getattr(request, "axes_ip_address", None)
    verdict = ALLOWED
    pair, pair_last = _failures_since(recent.filter(username=email, ip_address=ip)) if email else (0, None)
    address, address_last = _failures_since(recent.filter(ip_address=ip))
    if pair >= settings.AXES_FAILURE_LIMIT:
        verdict = _lock(pair_last, cool_off, now)
    elif address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        verdict = _lock(address_last, cool_off, now)
    elif (
        slowing
        and email
        and _under_attack(recent, email)
        and not _known_address(email, ip, now)
        and (wait := _take_slow_slot(email))
    ):
        verdict = Verdict(allowed=False, code="login_slowed", retry_after=wait)
    if slowing or not verdict.allowed:
        request.login_verdict = verdict
    return verdict


class LoginGuardHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler (it records every failure and logs successes) with the policy
    above in place of its one-limit check."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return not login_verdict(request, credentials).allowed

    def user_login_failed(self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        # this failure may have filled the pair's or the address's count: say so now rather than on the next try
        verdict = login_verdict(request, credentials, slowing=False)
        if not verdict.allowed:
            request.axes_locked_out = True
            request.axes_credentials = credentials


def record_api_login(request: Any, user: Any) -> None:
    """A successful log-in by a door that keeps no session (the JWT API): the same record and reset as axes
    makes for a session log-in, so the address becomes known to the account and its pair count restarts."""
    if not settings.AXES_ENABLED:
        return
    AxesProxyHandler.update_request(request)
    email = normalised_email(user.email) or ""
    AccessLog.objects.create(
        username=email,
        ip_address=request.axes_ip_address,
        user_agent=request.axes_user_agent,
        http_accept=request.axes_http_accept,
        path_info=request.axes_path_info,
        attempt_time=request.axes_attempt_time,
    )
    if settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.get_implementation().reset_user_attempts(request, get_credentials(email))


def record_second_factor_failure(request: Any, email: str) -> None:
    """A right password with a wrong second factor (JWT API) is a failed log-in like any other."""
    user_login_failed.send(sender=__name__, credentials={"email": email}, request=request)


def refusal(request: Any) -> Verdict:
    """The verdict behind a refused or locking try (for the 429 and its Retry-After)."""
    verdict = getattr(request, "login_verdict", None)
    if isinstance(verdict, Verdict) and not verdict.allowed:
        return verdict
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    return Verdict(allowed=False, code="locked_out", retry_after=int(cool_off.total_seconds()))


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; JSON under /api/, the lockout page elsewhere."""
    verdict = refusal(request)
    message = SLOWED_MESSAGE if verdict.code == "login_slowed" else LOCKED_MESSAGE
    response: HttpResponse
    if request.path.startswith("/api/"):
        details = {"retry_after_seconds": verdict.retry_after}
        response = JsonResponse(error_body(message, details, code=verdict.code), status=429)
    else:
        context = {"slowed": verdict.code == "login_slowed", "retry_minutes": math.ceil(verdict.retry_after / 60)}
        response = render(request, "account/lockout.html", context, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response
