"""How a web process serves the site (HTTP and WebSocket), defined once; scripts/web-server.sh (the one
command `make run`, the Docker image, compose, the scale stack and the tests' live server run) starts it.

    python -m config.server [--host 0.0.0.0] [--port 8000] [--app config.asgi:application]

uvicorn serves the ASGI application with uvloop (event loop), httptools (HTTP parser) and websockets
(WebSocket), each pinned in requirements.txt. docs/auctions.md ("The server") has the measurements behind the
choice. Scale out by running more of these processes behind a load balancer (channels-redis carries groups
across them).

- X-Forwarded-For / -Proto are never believed by the server: the application believes them from
  TRUSTED_PROXIES only (core/proxy.py), whatever the server.
- `WEB_BACKLOG` (default 4096): the listen backlog (uvicorn's default is 2048).
- `WEB_ACCESS_LOG` (default true): one access-log line per request on stdout. Query strings appear there,
  which is why no token is ever sent in one (WebSocket clients authenticate by header or ticket).
"""

import argparse
import os
import sys
from collections.abc import Sequence

APP = "config.asgi:application"


def command(*, host: str, port: int, app: str = APP) -> list[str]:
    """The argv that starts one web process on this interpreter (benchmarks that serve another app)."""
    return [sys.executable, "-m", "config.server", "--host", host, "--port", str(port), "--app", app]


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m config.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8000")))
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
        proxy_headers=False,  # core/proxy.py decides, from TRUSTED_PROXIES
        access_log=_flag("WEB_ACCESS_LOG", True),
        # connections waiting to be accepted: a process' watchers reconnecting at once (it died, or a rolling
        # restart) arrive together; the kernel caps this at net.core.somaxconn (Debian 12: 4096)
        backlog=int(os.environ.get("WEB_BACKLOG", "4096")),
        # idle keep-alive connections stay open longer than a load balancer's (60 s is common): one closed
        # under it while it sends a request on it is a failed request (uvicorn's own default is 5 s)
        timeout_keep_alive=int(os.environ.get("WEB_KEEP_ALIVE_SECONDS", "75")),
        server_header=False,
        log_config=None,  # Django's LOGGING (config/logging.py) formats uvicorn's lines too
    )


if __name__ == "__main__":
    main()
