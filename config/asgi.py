"""HTTP and WebSocket entry point, served by config/server.py."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
get_asgi_application()  # sets Django up; HTTP is served by core.middleware.DjangoHttp below

from core import metrics, tracing  # noqa: E402

tracing.setup_tracing("web")  # before the handlers load the middleware (off unless OTEL_EXPORTER_OTLP_ENDPOINT)
metrics.serve_on_port("WEB_METRICS_PORT")  # this process' own /metrics for Prometheus (observability/prometheus.yml)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from auctions.apis.fast_lane import BidLane  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core.auth import WebSocketAuthMiddleware, session_auth_middleware  # noqa: E402
from core.metrics import CountWebSockets  # noqa: E402
from core.middleware import DjangoHttp  # noqa: E402
from core.proxy import TrustedProxyHeaders  # noqa: E402
from core.ws_frames import websocket_frames  # noqa: E402
from core.ws_origin import allowed_hosts_origin_validator  # noqa: E402

http = DjangoHttp()
application = ProtocolTypeRouter(
    {
        "http": http if os.environ.get("BID_LANE") == "off" else BidLane(http),
        "websocket": websocket_frames(
            allowed_hosts_origin_validator(
                session_auth_middleware(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns)))
            )
        ),
    }
)
# X-Forwarded-For / -Proto are believed from settings.TRUSTED_PROXIES (the load balancer) only: core/proxy.py
application = TrustedProxyHeaders(CountWebSockets(tracing.asgi(application)))

# performance: transport quotes look ZIP codes up in an index that takes ~0.5 s to load; load it now, not on a
# visitor's first quote (core.geo.warm_up).
from core.geo import warm_up as warm_up_zip_codes  # noqa: E402

warm_up_zip_codes()

# performance: everything loaded so far lives as long as the process; freezing it keeps full garbage
# collections from scanning it again. Those scans paused a server holding 500 sockets for 120-230 ms
# (tests/load/bench_fanout.py); with fewer, cheaper full collections a broadcast is not held up by one.
gc.collect()
gc.freeze()
gc.set_threshold(*(int(n) for n in os.environ.get("ASGI_GC_THRESHOLD", "50000,20,100").split(",")))
