from django.urls import path

from webhooks import views

urlpatterns = [
    path("webhooks", views.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<str:webhook_id>/rotate-secret", views.WebhookRotateView.as_view(), name="webhook-rotate"),
    path("webhooks/<str:webhook_id>/deliveries", views.DeliveryListView.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<str:webhook_id>/deliveries/<str:delivery_id>/redeliver",
        views.RedeliverView.as_view(),
        name="webhook-redeliver",
    ),
]
