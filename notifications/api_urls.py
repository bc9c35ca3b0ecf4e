from django.urls import URLPattern, path

from notifications import apis

urlpatterns: list[URLPattern] = [
    path("notifications", apis.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read-all", apis.NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    path("notifications/preferences", apis.NotificationPreferencesApi.as_view(), name="api-notification-preferences"),
    path("notifications/<int:notification_id>/read", apis.NotificationReadApi.as_view(), name="api-notification-read"),
]
