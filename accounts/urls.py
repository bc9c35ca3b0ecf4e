from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("account/", views.account_hub, name="hub"),
    path("account/profile/", views.profile_edit, name="profile"),
    path("account/ready/", views.ready_checklist, name="ready"),
    path("account/seller/", views.seller_apply, name="seller"),
    path("account/identity/", views.identity_page, name="identity"),
    path("account/identity/start/", views.identity_start, name="identity-start"),
    path("account/identity/return/", views.identity_return, name="identity-return"),
    path("account/identity/sandbox/<str:inquiry_id>/", views.identity_sandbox, name="identity-sandbox"),
    path("account/card/", views.card_page, name="card"),
    path("account/card/remove/", views.card_remove, name="card-remove"),
]
