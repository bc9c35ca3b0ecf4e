"""Signed unsubscribe tokens: a link in an email turns one kind's email off without logging in."""

from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from core.site_urls import absolute_url

SALT = "notifications.unsubscribe"
# Links stay valid long after the email was sent; the token only ever turns an optional email off.
MAX_AGE_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class UnsubscribeClaim:
    user_id: int
    kind: str


class BadUnsubscribeToken(Exception):
    pass


def make_unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> UnsubscribeClaim:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise BadUnsubscribeToken("This unsubscribe link is invalid or has expired.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        raise BadUnsubscribeToken("This unsubscribe link is invalid or has expired.")
    return UnsubscribeClaim(user_id=data["u"], kind=data["k"])


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    token = make_unsubscribe_token(user_id=user_id, kind=kind)
    return absolute_url(reverse("notifications:unsubscribe", kwargs={"token": token}))


def preferences_url() -> str:
    return absolute_url(reverse("notifications:preferences"))
