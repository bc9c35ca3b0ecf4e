"""Reads for the notifications domain."""

from dataclasses import dataclass
from typing import Any

from notifications.kinds import CATEGORIES, EMAIL, IN_APP, KINDS, Kind, get_kind
from notifications.models import Notification, NotificationPreference, NotificationQuerySet, UndeliverableEmail


def notifications_for(*, user: Any, unread_only: bool = False) -> NotificationQuerySet:
    queryset = Notification.objects.for_user(user)
    return queryset.unread() if unread_only else queryset


def unread_count(*, user: Any) -> int:
    return Notification.objects.for_user(user).unread().count()


def channel_choices(*, user: Any, kind: Kind | str) -> dict[str, bool]:
    """{"in_app": bool, "email": bool}: the user's choices for this kind, else its defaults (always, if locked)."""
    spec = get_kind(kind) if isinstance(kind, str) else kind
    defaults = {IN_APP: spec.in_app, EMAIL: spec.email}
    if not spec.optional:
        return defaults
    saved = NotificationPreference.objects.filter(user=user, kind=spec.name).values(IN_APP, EMAIL).first()
    return {channel: bool(saved[channel]) for channel in defaults} if saved else defaults


def channel_enabled(*, user: Any, kind: Kind | str, channel: str) -> bool:
    if channel not in (IN_APP, EMAIL):
        raise ValueError(f"unknown channel {channel!r}")
    return channel_choices(user=user, kind=kind)[channel]


def is_undeliverable(email: str) -> bool:
    return bool(email) and UndeliverableEmail.objects.filter(email=email.strip().lower()).exists()


def undeliverable_record(email: str) -> UndeliverableEmail | None:
    return UndeliverableEmail.objects.filter(email=email.strip().lower()).first() if email else None


@dataclass(frozen=True)
class PreferenceRow:
    kind: Kind
    in_app: bool
    email: bool

    @property
    def locked(self) -> bool:
        return not self.kind.optional


@dataclass(frozen=True)
class PreferenceGroup:
    category: str
    label: str
    rows: list[PreferenceRow]


def preferences_for(*, user: Any, include_staff: bool | None = None) -> list[PreferenceGroup]:
    """Every kind with the user's effective choice, grouped by category (staff alerts only for staff)."""
    show_staff = bool(getattr(user, "is_staff", False)) if include_staff is None else include_staff
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    groups: list[PreferenceGroup] = []
    for category, label in CATEGORIES.items():
        if category == "staff" and not show_staff:
            continue
        rows = []
        for kind in KINDS.values():
            if kind.category != category:
                continue
            pref = saved.get(kind.name) if kind.optional else None
            rows.append(
                PreferenceRow(
                    kind=kind,
                    in_app=pref.in_app if pref else kind.in_app,
                    email=pref.email if pref else kind.email,
                )
            )
        if rows:
            groups.append(PreferenceGroup(category=category, label=label, rows=rows))
    return groups
