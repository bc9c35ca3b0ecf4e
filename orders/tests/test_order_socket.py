"""ws/orders/<id>/: the order's buyer, seller and staff hear that the order changed; nobody else connects."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from config.routing import websocket_urlpatterns
from orders.live import broadcast_order_changed

pytestmark = pytest.mark.django_db(transaction=True)


def connect(user, order_id):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/orders/{order_id}/")
    communicator.scope["user"] = user
    return communicator


def test_the_parties_hear_a_change_and_a_stranger_is_refused(order_factory, user_factory, staff_user):
    order = order_factory()
    stranger = user_factory()

    async def scenario():
        sockets = [connect(person, order.pk) for person in (order.buyer, order.seller, staff_user)]
        for socket in sockets:
            assert (await socket.connect())[0]
            assert await socket.receive_json_from(timeout=5) == {"type": "subscribed", "order_id": order.pk}
        outsider = connect(stranger, order.pk)
        await outsider.connect()
        assert (await outsider.receive_output(timeout=5))["code"] == 4404
        await sync_to_async(broadcast_order_changed)(order.pk)
        for socket in sockets:
            assert await socket.receive_json_from(timeout=5) == {"type": "order_changed", "order_id": order.pk}
            await socket.disconnect()

    async_to_sync(scenario)()


def test_anonymous_sockets_are_closed_with_4401(order_factory):
    order = order_factory()

    async def scenario():
        socket = connect(AnonymousUser(), order.pk)
        await socket.connect()
        assert (await socket.receive_output(timeout=5))["code"] == 4401

    async_to_sync(scenario)()
