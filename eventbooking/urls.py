from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from shared.errors import unknown_route
from server.views import DocsView, HealthView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="schema"), name="docs"),
    path("health", HealthView.as_view(), name="health"),
    path("", include("accounts.urls")),
    path("", include("events.urls")),
    path("", include("bookings.urls")),
    path("", include("analytics.urls")),
    path("", include("waitlist.urls")),
    path("", include("tickets.urls")),
    path("", include("notifications.urls")),
    path("", include("webhooks.urls")),
    # Last: what no route above matches is a JSON 404 (the admin answers its own).
    re_path(r"^(?!admin/).*$", unknown_route),
]

handler400 = "shared.errors.bad_request_view"
handler403 = "shared.errors.permission_denied_view"
handler404 = "shared.errors.not_found_view"
handler500 = "shared.errors.server_error_view"
