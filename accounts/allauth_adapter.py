"""allauth's emails (address confirmation, password reset) with links and site name from SITE_URL.

allauth builds its links from the request's host and names the site from the Sites table, whose domain is
written once at migrate time; under `PORT=8123 make run` that row still says :8000. Here both come from
`core.site_urls`, the one builder of absolute URLs.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from core.site_urls import absolute_url, site_domain


@dataclass(frozen=True)
class CurrentSite:
    """What allauth's email templates read from `current_site`."""

    domain: str
    name: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        site = CurrentSite(domain=site_domain(), name=settings.SITE_NAME)
        super().send_mail(template_prefix, email, {"current_site": site, **context})

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))
