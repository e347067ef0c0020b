from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/me", views.OrganizerAnalyticsView.as_view(), name="analytics-mine"),
    path("analytics/me/sales", views.SalesSeriesView.as_view(), name="analytics-sales"),
]
