"""The web process, defined once: how the site is served (HTTP and WebSocket) by `make run`, the Docker image,
docker compose, the tests' live server and the benchmarks.

    python -m config.server [--host 0.0.0.0] [--port 8000] [--proxy-headers] [--app config.asgi:application]

uvicorn serves the ASGI application with uvloop (event loop), httptools (HTTP parser) and websockets
(WebSocket), each pinned in requirements.txt. docs/auctions.md ("The server") has the measurements behind the
choice. Scale out by running more of these processes behind a load balancer (channels-redis carries groups
across them).

- `--proxy-headers`: behind a load balancer, the client's address and scheme come from X-Forwarded-For and
  X-Forwarded-Proto, believed only from the addresses in `FORWARDED_ALLOW_IPS` (comma-separated, default
  127.0.0.1); uvicorn takes the right-most address not in that list, so a client cannot choose its own by
  sending the header itself. Without the flag the connection's own address is recorded.
- `WEB_ACCESS_LOG` (default true): one access-log line per request on stdout. Query strings appear there,
  which is why no token is ever sent in one (WebSocket clients authenticate by header or ticket).
"""

import argparse
import os
import sys
from collections.abc import Sequence

APP = "config.asgi:application"


def command(*, host: str, port: int, proxy_headers: bool = False, app: str = APP) -> list[str]:
    """The argv that starts one web process (for subprocess callers: tests, benchmarks)."""
    argv = [sys.executable, "-m", "config.server", "--host", host, "--port", str(port), "--app", app]
    return [*argv, "--proxy-headers"] if proxy_headers else argv


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m config.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8000")))
    parser.add_argument("--proxy-headers", action="store_true", default=_flag("WEB_PROXY_HEADERS", False))
    parser.add_argument("--app", default=APP)
    args = parser.parse_args(argv)

    import uvicorn

    uvicorn.run(
        args.app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # small JSON frames: compressing them costs more CPU than it saves
        ws_max_size=1024 * 1024,
        lifespan="off",  # Channels' router has no lifespan protocol
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=_flag("WEB_ACCESS_LOG", True),
        # idle keep-alive connections stay open longer than a load balancer's (60 s is common): one closed
        # under it while it sends a request on it is a failed request (uvicorn's own default is 5 s)
        timeout_keep_alive=int(os.environ.get("WEB_KEEP_ALIVE_SECONDS", "75")),
        server_header=False,
        log_config=None,  # Django's LOGGING (config/logging.py) formats uvicorn's lines too
    )


if __name__ == "__main__":
    main()
