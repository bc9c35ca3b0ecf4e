"""Writes for the accounts domain."""

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from core.errors import Conflict, DomainError


def _send_email_confirmation(*, user_id: int, request: HttpRequest | None) -> None:
    address = EmailAddress.objects.filter(user_id=user_id, primary=True).first()
    if address and not address.verified:
        address.send_confirmation(request, signup=True)


def user_register(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Create a buyer account with an unverified email and send the verification link after commit.

    The same rules as the site's sign-up: unique email (case-insensitive), Django's password validators.
    """
    email = email.strip().lower()
    if not email:
        raise DomainError("Email is required.", details={"email": ["This field is required."]})
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except Exception as exc:
        messages: list[Any] = list(getattr(exc, "messages", [str(exc)]))
        raise DomainError(messages[0], details={"password": messages}) from exc
    with transaction.atomic():
        if (
            User.objects.filter(email__iexact=email).exists()
            or EmailAddress.objects.filter(email__iexact=email).exists()
        ):
            raise Conflict("An account with this email already exists.", details={"email": ["Already registered."]})
        user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        transaction.on_commit(lambda: _send_email_confirmation(user_id=user.pk, request=request))
    return user
