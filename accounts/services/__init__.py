"""Writes for the accounts domain: every status change here writes an AccountEvent row.

Modules: users (register, profile, suspension), sellers (seller applications), identity (Persona
ID checks), cards (card on file with Authorize.Net). Import from `accounts.services`.
"""

from accounts.services.cards import CardDeclined, card_remove, card_save
from accounts.services.identity import (
    IdentityStart,
    identity_verification_override,
    identity_verification_refresh,
    identity_verification_return,
    identity_verification_start,
    identity_verification_sync,
    persona_webhook_receive,
)
from accounts.services.sellers import (
    seller_application_approve,
    seller_application_reject,
    seller_application_submit,
)
from accounts.services.strikes import user_strike_add
from accounts.services.users import user_profile_update, user_register, user_reinstate, user_suspend

__all__ = [
    "CardDeclined",
    "IdentityStart",
    "card_remove",
    "card_save",
    "identity_verification_override",
    "identity_verification_refresh",
    "identity_verification_return",
    "identity_verification_start",
    "identity_verification_sync",
    "persona_webhook_receive",
    "seller_application_approve",
    "seller_application_reject",
    "seller_application_submit",
    "user_profile_update",
    "user_register",
    "user_reinstate",
    "user_strike_add",
    "user_suspend",
]
