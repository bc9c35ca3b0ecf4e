"""A do-nothing ASGI app that answers the load generator like the bid endpoint and the live room do (no Django,
no database): served by the same web server (config/server.py), it measures what the server alone costs per
request on this machine, the ceiling for any code behind it (the "server alone" rows of the hot-auction
benchmark)."""

import json
from typing import Any

ANSWER = {"data": {"auction": {"minimum_next_bid": "5100.00"}}}


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        while (await receive()).get("more_body"):
            pass
        body = json.dumps(ANSWER).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        await receive()  # websocket.connect
        subprotocol = "bearer" if "bearer" in (scope.get("subprotocols") or []) else None
        await send({"type": "websocket.accept", "subprotocol": subprotocol})
        while (message := await receive())["type"] != "websocket.disconnect":
            data = json.loads(message["text"])
            if data.get("type") == "leave_auction":
                reply = {"type": "auction_left"}
            else:
                reply = {"type": "bid_update", "request_id": data.get("request_id"), "status": "accepted"}
                reply["minimum_next_bid"] = "5100.00"
            await send({"type": "websocket.send", "text": json.dumps(reply)})
