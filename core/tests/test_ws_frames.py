"""core.ws_frames: a WebSocket's scope carries the `send` of the stack's outer edge, for frames sent in bulk."""

from asgiref.sync import async_to_sync

from core.ws_frames import FRAMES_SEND, websocket_frames


def test_the_inner_app_gets_the_outer_send_in_its_scope_and_the_scope_it_was_given_is_left_alone():
    seen = {}

    async def inner(scope, receive, send):
        seen["scope"] = scope
        await scope[FRAMES_SEND]({"type": "websocket.send", "text": "frame"})

    sent = []

    async def outer_send(message):
        sent.append(message)

    async def receive():
        return {}

    original = {"type": "websocket", "path": "/ws/auctions/1/"}
    async_to_sync(websocket_frames(inner))(original, receive, outer_send)
    assert seen["scope"][FRAMES_SEND] is outer_send
    assert sent == [{"type": "websocket.send", "text": "frame"}]
    assert FRAMES_SEND not in original
