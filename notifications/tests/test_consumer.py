"""ws/notifications/: notify() reaches the user's own socket through channels-redis, and no one else's."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from notifications.consumers import NotificationConsumer
from notifications.services import notification_mark_read, notify

pytestmark = pytest.mark.django_db(transaction=True)


def connect(user):
    communicator = WebsocketCommunicator(NotificationConsumer.as_asgi(), "/ws/notifications/")
    communicator.scope["user"] = user
    return communicator


def test_channel_layer_is_redis():
    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"


def test_notify_reaches_the_users_socket_and_not_another_users(user_factory):
    alice, bob = user_factory(), user_factory()

    async def scenario():
        alice_socket, bob_socket = connect(alice), connect(bob)
        assert (await alice_socket.connect())[0]
        assert (await bob_socket.connect())[0]
        assert await alice_socket.receive_json_from() == {"type": "unread_count", "unread_count": 0}
        assert await bob_socket.receive_json_from() == {"type": "unread_count", "unread_count": 0}

        await sync_to_async(notify)(user=alice, kind="outbid", context={"vehicle": "2018 Honda Accord"})

        message = await alice_socket.receive_json_from(timeout=5)
        assert message["type"] == "notification"
        assert message["unread_count"] == 1
        assert message["notification"]["title"] == "You've been outbid on 2018 Honda Accord"
        assert await bob_socket.receive_nothing(timeout=0.5)

        await alice_socket.disconnect()
        await bob_socket.disconnect()

    async_to_sync(scenario)()


def test_mark_read_pushes_the_new_unread_count_to_open_tabs(user_factory):
    alice = user_factory()
    notification = notify(user=alice, kind="outbid", context={})

    async def scenario():
        tab = connect(alice)
        await tab.connect()
        assert await tab.receive_json_from() == {"type": "unread_count", "unread_count": 1}

        await database_sync_to_async(notification_mark_read)(user=alice, notification_id=notification.pk)

        assert await tab.receive_json_from(timeout=5) == {"type": "unread_count", "unread_count": 0}
        await tab.disconnect()

    async_to_sync(scenario)()


def test_anonymous_socket_is_closed_with_4401():
    async def scenario():
        socket = connect(AnonymousUser())
        connected, _ = await socket.connect()
        assert connected
        assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()


def test_unknown_group_message_does_not_kill_the_socket(user_factory):
    alice = user_factory()

    async def scenario():
        socket = connect(alice)
        await socket.connect()
        await socket.receive_json_from()
        await get_channel_layer().group_send(f"user_{alice.pk}", {"type": "something.else"})
        await socket.send_json_to({"type": "ping"})
        assert (await socket.receive_json_from(timeout=5))["type"] == "pong"
        await socket.disconnect()

    async_to_sync(scenario)()
