from django.urls import path

from fulfillment import views, views_claims

app_name = "fulfillment"
urlpatterns = [
    path("orders/<int:order_id>/delivery/", views.delivery, name="delivery"),
    path("orders/<int:order_id>/release/", views.release, name="release"),
    path("orders/<int:order_id>/pickup/", views.pickup, name="pickup"),
    path("orders/<int:order_id>/title-documents/", views.title_upload, name="title-upload"),
    path("orders/<int:order_id>/title-documents/<int:document_id>/", views.title_document, name="title-document"),
    path("orders/<int:order_id>/title-received/", views.title_received, name="title-received"),
    path("orders/<int:order_id>/bill-of-sale/", views.bill_of_sale, name="bill-of-sale"),
    path("orders/<int:order_id>/claims/", views_claims.claim_open, name="claim-open"),
    path("orders/<int:order_id>/claims/<int:claim_id>/answer/", views_claims.claim_answer, name="claim-answer"),
    path("orders/<int:order_id>/claims/<int:claim_id>/messages/", views_claims.claim_message, name="claim-message"),
    path(
        "orders/<int:order_id>/claims/<int:claim_id>/return-sent/",
        views_claims.claim_return_sent,
        name="claim-return-sent",
    ),
    path(
        "orders/<int:order_id>/claims/<int:claim_id>/return-received/",
        views_claims.claim_return_received,
        name="claim-return-received",
    ),
    path(
        "orders/<int:order_id>/claims/<int:claim_id>/photos/<int:photo_id>/",
        views_claims.claim_photo,
        name="claim-photo",
    ),
    path("sell/statement/", views.statement, name="statement"),
    path("sell/statement.csv", views.statement_csv, name="statement-csv"),
]
