"""GET /api/notifications, POST /api/notifications/<id>/read, /read-all, /preferences."""

import pytest

from notifications.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def test_list_returns_own_notifications_newest_first_with_unread_count(user, auth_client, notification_factory):
    older = notification_factory(user=user, title="Older")
    newer = notification_factory(user=user, title="Newer")
    notification_factory(title="Someone else's")
    Notification.objects.filter(pk=older.pk).update(read_at="2026-01-01T00:00:00Z")

    response = auth_client().get("/api/notifications")

    assert response.status_code == 200
    body = response.json()
    assert [n["title"] for n in body["results"]] == ["Newer", "Older"]
    assert body["unread_count"] == 1
    assert body["count"] == 2
    assert body["results"][0] == {
        "id": newer.pk, "kind": "welcome", "title": "Newer", "body": "Something happened.", "url": "/notifications/",
        "created_at": body["results"][0]["created_at"], "read_at": None, "is_read": False,
    }  # fmt: skip


def test_list_paginates_and_filters_unread(user, auth_client, notification_factory):
    notification_factory.create_batch(25, user=user)
    read = notification_factory(user=user)
    Notification.objects.filter(pk=read.pk).update(read_at="2026-01-01T00:00:00Z")

    first = auth_client().get("/api/notifications").json()
    unread = auth_client().get("/api/notifications?unread=true&page_size=5&page=2").json()

    assert (first["count"], first["pages"], len(first["results"])) == (26, 2, 20)
    assert (unread["count"], unread["page"], len(unread["results"])) == (25, 2, 5)
    assert unread["unread_count"] == 25


def test_mark_one_read_returns_the_new_unread_count(user, auth_client, notification_factory):
    target, _other = notification_factory(user=user), notification_factory(user=user)

    response = auth_client().post(f"/api/notifications/{target.pk}/read")

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Marked as read."
    assert body["data"]["notification"]["is_read"] is True
    assert body["data"]["unread_count"] == 1
    # marking again is harmless and keeps the first read time
    again = auth_client().post(f"/api/notifications/{target.pk}/read").json()
    assert again["data"]["notification"]["read_at"] == body["data"]["notification"]["read_at"]


def test_cannot_mark_another_users_notification(auth_client, notification_factory):
    foreign = notification_factory()

    response = auth_client().post(f"/api/notifications/{foreign.pk}/read")

    assert response.status_code == 404
    assert response.json() == {"error": "Notification not found.", "code": "not_found", "details": {}}
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_mark_all_read(user, auth_client, notification_factory):
    notification_factory.create_batch(3, user=user)
    foreign = notification_factory()

    response = auth_client().post("/api/notifications/read-all")

    assert response.json()["data"] == {"marked": 3, "unread_count": 0}
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_notifications_api_requires_login(api_client):
    assert api_client.get("/api/notifications").status_code == 401
    assert api_client.post("/api/notifications/read-all").status_code == 401


def test_preferences_get_and_put(user, auth_client):
    client = auth_client()
    rows = {row["kind"]: row for row in client.get("/api/notifications/preferences").json()["data"]}
    assert rows["outbid"] == {"kind": "outbid", "category": "bidding", "in_app": True, "email": True, "locked": False}
    assert rows["payment_failed"]["locked"] is True
    assert "staff_alert" not in rows  # staff only

    response = client.put(
        "/api/notifications/preferences", {"preferences": {"outbid": {"email": False}}}, format="json"
    )

    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=user, kind="outbid").email is False


def test_preferences_refuse_turning_off_a_locked_kind(user, auth_client):
    response = auth_client().put(
        "/api/notifications/preferences", {"preferences": {"payment_failed": {"email": False}}}, format="json"
    )

    assert response.status_code == 400
    assert "cannot be turned off" in response.json()["error"]
    assert not NotificationPreference.objects.exists()


def test_preferences_refuse_unknown_kinds(auth_client):
    response = auth_client().put("/api/notifications/preferences", {"preferences": {"nope": {}}}, format="json")

    assert response.status_code == 400
