from django.urls import path

from notifications import views

urlpatterns = [
    path("notices", views.NoticeListView.as_view(), name="notice-list"),
]
