from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from eventbooking.views import DocsView, HealthView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="schema"), name="docs"),
    path("health", HealthView.as_view(), name="health"),
    path("", include("accounts.urls")),
    path("", include("events.urls")),
    path("", include("bookings.urls")),
    path("", include("analytics.urls")),
]

handler400 = "eventbooking.errors.bad_request_view"
handler403 = "eventbooking.errors.permission_denied_view"
handler404 = "eventbooking.errors.not_found_view"
handler500 = "eventbooking.errors.server_error_view"
