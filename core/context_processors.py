from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    short = settings.SITE_SHORT_NAME if settings.SITE_NAME.startswith(settings.SITE_SHORT_NAME) else settings.SITE_NAME
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_NAME_HEAD": short,
        "SITE_NAME_TAIL": settings.SITE_NAME[len(short) :],
    }
