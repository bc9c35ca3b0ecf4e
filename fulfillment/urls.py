from django.urls import path

from fulfillment import views

app_name = "fulfillment"
urlpatterns = [
    path("orders/<int:order_id>/delivery/", views.delivery, name="delivery"),
    path("orders/<int:order_id>/release/", views.release, name="release"),
    path("orders/<int:order_id>/pickup/", views.pickup, name="pickup"),
    path("orders/<int:order_id>/title-documents/", views.title_upload, name="title-upload"),
    path("orders/<int:order_id>/title-documents/<int:document_id>/", views.title_document, name="title-document"),
    path("orders/<int:order_id>/title-received/", views.title_received, name="title-received"),
    path("orders/<int:order_id>/bill-of-sale/", views.bill_of_sale, name="bill-of-sale"),
    path("sell/statement/", views.statement, name="statement"),
    path("sell/statement.csv", views.statement_csv, name="statement-csv"),
]
