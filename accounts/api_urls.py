from django.urls import path

from accounts import apis, views

urlpatterns = [
    path("auth/register", apis.RegisterApi.as_view(), name="api-register"),
    path("auth/login", apis.LoginApi.as_view(), name="api-login"),
    path("auth/refresh", apis.RefreshApi.as_view(), name="api-refresh"),
    path("auth/logout", apis.LogoutApi.as_view(), name="api-logout"),
    path("ws-ticket", apis.WsTicketApi.as_view(), name="api-ws-ticket"),
    path("users/profile", apis.ProfileApi.as_view(), name="api-user-profile"),
    path("users/dashboard", apis.DashboardApi.as_view(), name="api-user-dashboard"),
    path("users/<int:user_id>", apis.PublicUserApi.as_view(), name="api-user-public"),
    path("users/<int:user_id>/auctions", apis.UserAuctionsApi.as_view(), name="api-user-auctions"),
    path("users/<int:user_id>/bids", apis.UserBidsApi.as_view(), name="api-user-bids"),
    path("webhooks/persona", views.persona_webhook, name="webhook-persona"),
]
