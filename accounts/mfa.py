"""Second-factor checks for doors other than allauth's login page (the JWT login API)."""

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction


def second_factor_passes(user: Any, code: str) -> bool:
    """True when the user has no TOTP authenticator, or `code` is a current TOTP or an unused recovery code."""
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=user)}
    totp = authenticators.get(Authenticator.Type.TOTP)
    if totp is None:
        return True
    code = (code or "").strip().replace(" ", "")
    if not code:
        return False
    if TOTP(totp).validate_code(code):
        return True
    recovery = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    if recovery is None:
        return False
    with transaction.atomic():  # allauth locks the row to mark the code used
        return RecoveryCodes(recovery).validate_code(code)
