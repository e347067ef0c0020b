from django.urls import path

from bookings import views

urlpatterns = [
    path("bookings", views.BookingCreateView.as_view(), name="booking-create"),
    path("bookings/me", views.BookingListMineView.as_view(), name="booking-mine"),
    path("bookings/<str:booking_id>", views.BookingDetailView.as_view(), name="booking-detail"),
    path("bookings/<str:booking_id>/cancel", views.BookingCancelView.as_view(), name="booking-cancel"),
    path("events/<str:event_id>/attendees", views.AttendeeListView.as_view(), name="event-attendees"),
    path("holds", views.HoldCreateView.as_view(), name="hold-create"),
    path("holds/me", views.HoldListMineView.as_view(), name="hold-mine"),
    path("holds/<str:hold_id>", views.HoldDetailView.as_view(), name="hold-detail"),
]
