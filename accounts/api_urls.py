from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/register", apis.RegisterApi.as_view(), name="api-register"),
    path("auth/login", apis.LoginApi.as_view(), name="api-login"),
    path("auth/refresh", apis.RefreshApi.as_view(), name="api-refresh"),
    path("auth/logout", apis.LogoutApi.as_view(), name="api-logout"),
]
