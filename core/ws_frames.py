"""The `send` of the middleware stack's outer edge, in the scope of a WebSocket, for frames sent in bulk.

performance: a live room writes each broadcast to every socket of the room (auctions/room_fanout.py). Between
the server and a consumer, middleware wraps `send`, and for a `websocket.send` frame each wrapper only passes
it on; Channels' session middleware, though, reads the session's `modified` and `is_empty()` through its lazy
object for every frame (it saves the session only on `http.response.start`), about a quarter of a room
frame's cost in the server (cProfile, 400 sockets). `websocket_frames` puts the `send` it was given into the
scope as `FRAMES_SEND`; the room's fan-out writes its frames there. Everything else (accept, close, a
consumer's own replies) goes through the wrappers as before.
"""

from typing import Any

FRAMES_SEND = "frames_send"


def websocket_frames(inner: Any) -> Any:
    """ASGI middleware, outside the session and auth middleware of the WebSocket stack (config/asgi.py)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await inner({**scope, FRAMES_SEND: send}, receive, send)

    return app
