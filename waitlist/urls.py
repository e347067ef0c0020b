from django.urls import path

from waitlist import views

urlpatterns = [
    path("events/<str:event_id>/waitlist", views.WaitlistJoinView.as_view(), name="waitlist-join"),
    path("waitlist/me", views.WaitlistMineView.as_view(), name="waitlist-mine"),
    path("waitlist/<str:entry_id>", views.WaitlistEntryView.as_view(), name="waitlist-entry"),
]
