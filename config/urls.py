from importlib import import_module
from itertools import chain

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from core import views as core_views
from core.schema_view import SchemaView
from notifications.email_tracking import TrackingWebhookView

admin.site.site_header = "North Star Auto Auctions — staff console"
admin.site.site_title = "North Star staff"
admin.site.index_title = "Operations"

# fulfillment before orders: it serves GET /api/orders/<id> (orders' detail plus the title, delivery and
# proceeds that orders cannot know about); no other route of the two overlaps.
API_APPS = ("accounts", "notifications", "vehicles", "auctions", "offers", "fulfillment", "orders")

# One flat list under /api/: the apps' API routes share no namespace, and a flat list resolves a path by
# trying patterns, while nested include("")s each raise and catch Resolver404 and copy the list of
# patterns tried (a tenth of a bid request's CPU before this).
api_patterns: list[URLPattern | URLResolver] = [
    path("health", core_views.health, name="api-health"),
    path("schema/", SchemaView.as_view(), name="api-schema"),  # built once per process (core.schema_view)
    # the split view serves Swagger UI's setup as a script file (?script): no inline script under the CSP
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    *chain.from_iterable(import_module(f"{app}.api_urls").urlpatterns for app in API_APPS),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("metrics", core_views.metrics, name="metrics"),
    path("accounts/", include("allauth.urls")),
    # ahead of anymail's own route: adds the timestamp check and event-id de-duplication (notifications)
    path("anymail/sendgrid/tracking/", TrackingWebhookView.as_view(), name="sendgrid-tracking"),
    path("anymail/", include("anymail.urls")),
    path("", include("core.accessibility")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("vehicles.urls")),
    path("", include("auctions.urls")),
    path("", include("offers.urls")),
    path("", include("orders.urls")),
    path("", include("fulfillment.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
