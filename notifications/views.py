"""HTML pages of the notifications domain: the list, preferences and the one-click unsubscribe page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import NotFound
from core.site_urls import site_domain, site_path
from notifications.kinds import CHANNELS, get_kind
from notifications.selectors import notifications_for, preferences_for, undeliverable_record, unread_count
from notifications.services import (
    email_mark_deliverable,
    notification_mark_read,
    notifications_mark_all_read,
    preferences_update,
    unsubscribe,
)
from notifications.tokens import BadUnsubscribeToken, read_unsubscribe_token

PAGE_SIZE = 20


def _is_ours(request: HttpRequest, url: str) -> bool:
    """A path on this site, or an absolute link to this host or SITE_URL's (what notifications carry)."""
    hosts = {request.get_host(), site_domain()}
    return bool(url) and url_has_allowed_host_and_scheme(url, hosts, require_https=False)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if _is_ours(request, target) else fallback


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(notifications_for(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "unread_only": unread_only,
        "unread_total": unread_count(user=request.user),
        "querystring": "show=unread" if unread_only else "",
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound:
        messages.error(request, "That notification was not found.")
    return redirect(_safe_next(request, reverse("notifications:list")))


@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link and mark it read on the way."""
    try:
        notification = notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound:
        messages.error(request, "That notification was not found.")
        return redirect("notifications:list")
    if _is_ours(request, notification.url):
        # rows written before links were stored as paths carry SITE_URL's host: follow their path on this host
        return HttpResponseRedirect(site_path(notification.url))
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {marked} notification{'' if marked == 1 else 's'} as read.")
    return redirect(_safe_next(request, reverse("notifications:list")))


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    groups = preferences_for(user=request.user)
    if request.method == "POST":
        visible = {row.kind.name for group in groups for row in group.rows if not row.locked}
        # unchecked boxes are absent from the form: every visible optional kind gets an explicit value
        choices = {
            name: {channel: f"{name}:{channel}" in request.POST for channel in CHANNELS} for name in sorted(visible)
        }
        preferences_update(user=request.user, choices=choices)
        messages.success(request, "Your notification preferences were saved.")
        return redirect("notifications:preferences")
    context = {
        "groups": groups,
        "undeliverable": undeliverable_record(getattr(request.user, "email", "")),
    }
    return render(request, "notifications/preferences.html", context)


@login_required
@require_POST
def email_fixed(request: HttpRequest) -> HttpResponse:
    """The user says their mailbox works again: stop skipping it (another bounce marks it again)."""
    email_mark_deliverable(email=getattr(request.user, "email", ""))
    messages.success(request, "Thanks — we will email you again.")
    return redirect("notifications:preferences")


@csrf_exempt  # the signed token is the credential; mail clients POST here for RFC 8058 one-click unsubscribe
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (link scanners must not unsubscribe anyone); POST unsubscribes."""
    try:
        claim = read_unsubscribe_token(token)
        kind = get_kind(claim.kind)
    except (BadUnsubscribeToken, KeyError):
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        try:
            unsubscribe(token=token)
        except NotFound:
            return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
        return render(request, "notifications/unsubscribe.html", {"done": True, "kind": kind})
    return render(request, "notifications/unsubscribe.html", {"kind": kind, "token": token})
