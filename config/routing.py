"""WebSocket routes of every app, gathered in one list."""

from django.urls import path, re_path

from auctions.consumers import AuctionConsumer
from backoffice.consumers import MonitorConsumer
from core.consumers import SiteConsumer
from notifications.consumers import NotificationConsumer
from orders.consumers import OrderConsumer

websocket_urlpatterns = [
    path("ws/site/", SiteConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    re_path(r"^ws/auctions/(?P<auction_id>\d+)/?$", AuctionConsumer.as_asgi()),
    re_path(r"^ws/orders/(?P<order_id>\d+)/?$", OrderConsumer.as_asgi()),
    path("ws/console/monitor/", MonitorConsumer.as_asgi()),  # staff live monitor (backoffice)
]
