from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/me", views.OrganizerAnalyticsView.as_view(), name="analytics-mine"),
]
