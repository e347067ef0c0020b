from django.urls import path

from tickets import views

urlpatterns = [
    path(".well-known/ticket-keys", views.PublishedKeysView.as_view(), name="ticket-keys"),
    path("bookings/<str:booking_id>/tickets", views.BookingTicketsView.as_view(), name="booking-tickets"),
    path("events/<str:event_id>/checkins", views.CheckinView.as_view(), name="checkins"),
    path("events/<str:event_id>/checkins/batch", views.CheckinBatchView.as_view(), name="checkins-batch"),
    path("events/<str:event_id>/revocations", views.RevocationListView.as_view(), name="revocations"),
    path("events/<str:event_id>/door-staff", views.DoorStaffView.as_view(), name="door-staff"),
    path("events/<str:event_id>/door-staff/<str:email>", views.DoorStaffDetailView.as_view(), name="door-staff-detail"),
]
