from django.urls import path

from fulfillment import apis, apis_claims, webhooks

urlpatterns = [
    # Before orders' own route (config/urls.py lists fulfillment first): the order detail with its fulfillment.
    path("orders/<int:order_id>", apis.OrderDetailApi.as_view(), name="api-order"),
    path("orders/<int:order_id>/delivery", apis.DeliveryApi.as_view(), name="api-order-delivery"),
    path("orders/<int:order_id>/pickup", apis.PickupApi.as_view(), name="api-order-pickup"),
    path("orders/<int:order_id>/release", apis.ReleaseApi.as_view(), name="api-order-release"),
    path("orders/<int:order_id>/title-received", apis.TitleReceivedApi.as_view(), name="api-order-title-received"),
    path(
        "orders/<int:order_id>/title-documents/uploads",
        apis.TitleUploadTicketApi.as_view(),
        name="api-order-title-uploads",
    ),
    path("orders/<int:order_id>/title-documents", apis.TitleDocumentsApi.as_view(), name="api-order-title-documents"),
    path("orders/<int:order_id>/claims", apis_claims.OrderClaimsApi.as_view(), name="api-order-claims"),
    path(
        "orders/<int:order_id>/claims/uploads",
        apis_claims.ClaimUploadTicketApi.as_view(),
        name="api-order-claim-uploads",
    ),
    path("claims/<int:claim_id>", apis_claims.ClaimDetailApi.as_view(), name="api-claim"),
    path("claims/<int:claim_id>/answer", apis_claims.ClaimAnswerApi.as_view(), name="api-claim-answer"),
    path("claims/<int:claim_id>/messages", apis_claims.ClaimMessageApi.as_view(), name="api-claim-messages"),
    path("claims/<int:claim_id>/return-sent", apis_claims.ClaimReturnSentApi.as_view(), name="api-claim-return-sent"),
    path(
        "claims/<int:claim_id>/return-received",
        apis_claims.ClaimReturnReceivedApi.as_view(),
        name="api-claim-return-received",
    ),
    path("sales/statement", apis.StatementApi.as_view(), name="api-sales-statement"),
    path("webhooks/super-dispatch", webhooks.super_dispatch_webhook, name="webhook-super-dispatch"),
    path("webhooks/title", webhooks.title_webhook, name="webhook-title"),
]
