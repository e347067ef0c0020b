"""The admin site as staff see it: titled for this service, "View site" opening the API
documentation, an index that is a dashboard of the last 30 days, and every page in the
staff member's own time zone.

The time zone is the browser's: a line of script in admin/base_site.html stores it in
the `staff_tz` cookie (on the login page already), and each admin view runs and renders
with it active. Without the cookie, or with a name that is not a time zone, TIME_ZONE
(UTC)."""

import zoneinfo
from urllib.parse import unquote
from datetime import timedelta
from functools import cache, wraps

from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from analytics.selectors import sales_series_all, top_events
from shared.timeutil import now
from staff import charts

TZ_COOKIE = "staff_tz"
DASHBOARD_DAYS = 30
TOP_EVENTS = 5


@cache
def _zone_names():
    return zoneinfo.available_timezones() | {"UTC"}


def staff_zone(request):
    name = unquote(request.COOKIES.get(TZ_COOKIE, ""))
    return zoneinfo.ZoneInfo(name if name in _zone_names() else settings.TIME_ZONE)


class StaffSite(admin.AdminSite):
    site_header = "Event Booking staff"
    site_title = "Event Booking staff"
    index_title = "Dashboard"
    site_url = "/docs/"
    index_template = "admin/staff_index.html"
    # The change lists need the width at 1280 px; the index and the breadcrumbs lead everywhere.
    enable_nav_sidebar = False

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def in_staff_zone(request, *args, **kwargs):
            with timezone.override(staff_zone(request)):
                response = inner(request, *args, **kwargs)
                # Rendered here, while the zone is active (Django would render after the view returns).
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return in_staff_zone

    def index(self, request, extra_context=None):
        return super().index(request, extra_context={**dashboard(zone=staff_zone(request)), **(extra_context or {})})


def dashboard(*, zone):
    """The index's figures: bookings, tickets and revenue per day over the last DASHBOARD_DAYS
    days (today included) in `zone`, and the events that sold the most in that time."""
    end = now()
    today = end.astimezone(zone).date()
    start = timezone.make_aware(timezone.datetime.combine(today - timedelta(days=DASHBOARD_DAYS - 1), timezone.datetime.min.time()), zone)
    series = sales_series_all(interval="day", start=start, end=end, zone=zone)
    top = top_events(start=start, end=end, limit=TOP_EVENTS)
    for row in top:
        row["id"], row["revenue"] = row["_id"], row["revenue_cents"] / 100
    return {
        "sales": series,
        "sales_revenue": series["revenue_cents"] / 100,
        "sales_days": DASHBOARD_DAYS,
        "staff_tz": zone.key,
        "tickets_chart": charts.sales_over_time(series["series"], interval="day", value="tickets", height=300, width=600,
                                                title=f"Tickets booked per day, last {DASHBOARD_DAYS} days",
                                                css_class="chart-dashboard-tickets"),
        "revenue_chart": charts.sales_over_time(series["series"], interval="day", value="revenue", height=300, width=600,
                                                title=f"Revenue per day, last {DASHBOARD_DAYS} days",
                                                css_class="chart-dashboard-revenue"),
        "top_events": top,
        "top_chart": charts.top_events(top, title=f"Top {TOP_EVENTS} events by tickets, last {DASHBOARD_DAYS} days") if top else "",
    }
