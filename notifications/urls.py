from django.urls import URLPattern, path

from notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all/", views.notification_read_all, name="read-all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="read"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="open"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/preferences/email-fixed/", views.email_fixed, name="email-fixed"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe_page, name="unsubscribe"),
]
