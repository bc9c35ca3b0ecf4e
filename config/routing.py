"""WebSocket routes of every app, gathered in one list."""

from django.urls import path

from core.consumers import SiteConsumer

websocket_urlpatterns = [
    path("ws/site/", SiteConsumer.as_asgi()),
]
