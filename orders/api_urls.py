from django.urls import path

from orders import apis, webhooks

urlpatterns = [
    path("orders", apis.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:order_id>", apis.OrderDetailApi.as_view(), name="api-order"),
    path("orders/<int:order_id>/pay", apis.OrderPayApi.as_view(), name="api-order-pay"),
    path("orders/<int:order_id>/invoice", apis.OrderInvoiceApi.as_view(), name="api-order-invoice"),
    path("webhooks/authorize-net", webhooks.authorize_net_webhook, name="webhook-authorize-net"),
]
