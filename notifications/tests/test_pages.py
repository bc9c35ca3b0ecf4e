"""The notifications page, preferences page, bell partial and the one-click unsubscribe page."""

import re

import pytest
from django.core import mail

from notifications.models import Notification, NotificationPreference
from notifications.services import email_mark_undeliverable
from notifications.tokens import make_unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_bell_shows_the_unread_count_for_a_logged_in_user(logged_in, user, notification_factory):
    notification_factory.create_batch(3, user=user)

    html = logged_in.get("/notifications/").content.decode()

    assert 'id="notification-bell"' in html
    assert 'aria-label="Notifications, 3 unread"' in html
    assert "js/notifications.js" in html


def test_notifications_page_lists_read_and_unread_and_paginates(logged_in, user, notification_factory):
    notification_factory.create_batch(21, user=user)
    notification_factory(user=user, title="Latest one")

    first = logged_in.get("/notifications/").content.decode()
    second = logged_in.get("/notifications/?page=2").content.decode()

    assert "Latest one" in first
    assert "Page 1 of 2" in first
    assert second.count("data-notification-id=") == 2


def test_notifications_page_has_a_clear_empty_state(logged_in):
    html = logged_in.get("/notifications/").content.decode()

    assert "No notifications yet." in html


def test_mark_one_and_all_read_from_the_page(logged_in, user, notification_factory):
    first, _second, _third = notification_factory.create_batch(3, user=user)

    logged_in.post(f"/notifications/{first.pk}/read/")
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 2

    response = logged_in.post("/notifications/read-all/", {"next": "/notifications/?show=unread"})
    assert response["Location"] == "/notifications/?show=unread"
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert "all caught up" in logged_in.get("/notifications/?show=unread").content.decode()


def test_opening_a_notification_marks_it_read_and_follows_only_local_links(logged_in, user, notification_factory):
    local = notification_factory(user=user, url="/auctions/4/")
    foreign = notification_factory(user=user, url="https://evil.example/phish")

    assert logged_in.get(f"/notifications/{local.pk}/open/")["Location"] == "/auctions/4/"
    assert logged_in.get(f"/notifications/{foreign.pk}/open/")["Location"] == "/notifications/"
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


def test_absolute_links_to_our_site_url_are_followed_on_this_host(logged_in, user, notification_factory, settings):
    settings.SITE_URL = "https://auctions.example"
    ours = notification_factory(user=user, url="https://auctions.example/orders/7/")

    # the path on the host that serves the bell (issue 16: a stored :8000 link sent people to another server)
    assert logged_in.get(f"/notifications/{ours.pk}/open/")["Location"] == "/orders/7/"


def test_notifications_page_requires_login(client):
    response = client.get("/notifications/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_preferences_page_saves_choices_and_shows_locked_kinds_disabled(logged_in, user):
    html = logged_in.get("/notifications/preferences/").content.decode()
    assert re.search(r'name="payment_failed:email"[^>]*checked disabled', html)
    assert re.search(r'name="outbid:email"[^>]*checked>', html)
    assert "Always on" in html

    # everything checked except outbid email (unchecked boxes are not posted)
    form = {"outbid:in_app": "on", "auction_lost:in_app": "on", "auction_lost:email": "on"}
    response = logged_in.post("/notifications/preferences/", form)

    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=user, kind="outbid").email is False
    assert NotificationPreference.objects.get(user=user, kind="auction_lost").email is True
    assert not NotificationPreference.objects.filter(kind="payment_failed").exists()


def test_preferences_page_warns_about_an_undeliverable_address_and_can_resume(logged_in, user):
    email_mark_undeliverable(email=user.email, reason="bounced")

    html = logged_in.get("/notifications/preferences/").content.decode()
    assert "could not be delivered" in html

    logged_in.post("/notifications/preferences/email-fixed/")
    assert "could not be delivered" not in logged_in.get("/notifications/preferences/").content.decode()


def test_unsubscribe_link_works_without_login_and_get_changes_nothing(client, user):
    token = make_unsubscribe_token(user_id=user.pk, kind="outbid")

    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200
    assert "You were outbid" in page.content.decode()
    assert not NotificationPreference.objects.exists()  # link scanners fetch with GET

    done = client.post(f"/notifications/unsubscribe/{token}/")
    assert done.status_code == 200
    assert "unsubscribed" in done.content.decode()
    assert NotificationPreference.objects.get(user=user, kind="outbid").email is False


def test_one_click_unsubscribe_post_from_a_mail_client(client, user, notify_committed):
    notify_committed(user=user, kind="outbid", context={})
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]

    response = client.post(
        "/" + path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=user, kind="outbid").email is False
    mail.outbox.clear()
    notify_committed(user=user, kind="outbid", context={})
    assert mail.outbox == []


def test_forged_unsubscribe_token_is_refused(client, user):
    token = make_unsubscribe_token(user_id=user.pk, kind="outbid")[:-2] + "xx"

    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 400
    assert not NotificationPreference.objects.exists()
