from django.urls import path

from events import views

urlpatterns = [
    path("events", views.EventListView.as_view(), name="event-list"),
    # Before events/<id>, or "me" would be taken for an event id.
    path("events/me", views.EventListMineView.as_view(), name="event-mine"),
    path("events/<str:event_id>", views.EventDetailView.as_view(), name="event-detail"),
    path("events/<str:event_id>/publish", views.EventPublishView.as_view(), name="event-publish"),
    path("events/<str:event_id>/types", views.EventTypesView.as_view(), name="event-types"),
    path("events/<str:event_id>/cancel", views.EventCancelView.as_view(), name="event-cancel"),
]
