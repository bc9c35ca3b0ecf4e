from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("orders/", views.my_orders, name="mine"),
    path("orders/sales/", views.my_sales, name="sales"),
    path("orders/<int:order_id>/", views.order_detail, name="detail"),
    path("orders/<int:order_id>/pay/", views.order_pay_view, name="pay"),
    path("orders/<int:order_id>/invoice/", views.order_invoice, name="invoice"),
    path("orders/<int:order_id>/second-chance/", views.order_second_chance_view, name="second-chance"),
    path("orders/offer/<int:thread_id>/", views.order_for_offer_view, name="for-offer"),
    path("orders/auction/<int:auction_id>/", views.order_for_auction_view, name="for-auction"),
]
