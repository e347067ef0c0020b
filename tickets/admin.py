"""Staff's view of check-ins and door-staff grants: read-only (written by tickets.services
only). The event's page shows its check-ins too (a section registered in staff.sections)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from shared.mongo import collection
from staff.admin_helpers import ReadOnlyAdmin
from staff.sections import event_page_sections
from tickets.models import Checkin, DoorStaff

LATEST = 20


@admin.register(Checkin)
class CheckinAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "ticket_type_name", "gate", "scanned_at", "checked_in_at", "checked_in_by"]
    list_filter = ["event", "gate"]
    search_fields = ["=id", "=booking_id", "=event__id"]
    list_select_related = ["event", "checked_in_by"]
    ordering = ["-checked_in_at"]
    fields = ["id", "event", "booking_id", "seat", "ticket_type_id", "ticket_type_name", "gate", "nonce", "scanned_at",
              "checked_in_at", "checked_in_by"]
    readonly_fields = fields


@admin.register(DoorStaff)
class DoorStaffAdmin(ReadOnlyAdmin):
    list_display = ["event", "user", "granted_by", "granted_at"]
    list_filter = ["event"]
    search_fields = ["user__email", "=event__id"]
    list_select_related = ["event", "user", "granted_by"]
    ordering = ["-granted_at"]


def checkins_section(event):
    """Counts per gate and per ticket type, the latest check-ins, and a link to all of them."""
    checkins = collection("checkins")
    groups = list(checkins.aggregate([
        {"$match": {"event_id": event.pk}},
        {"$group": {"_id": {"gate": "$gate", "type": "$ticket_type_name"}, "n": {"$sum": 1}}},
    ]))
    if not groups:
        return "-"
    total = sum(group["n"] for group in groups)
    counts = {}
    for group in groups:
        for key in ("gate", "type"):
            name = f"{'gate' if key == 'gate' else 'type'} {group['_id'][key]}"
            counts[name] = counts.get(name, 0) + group["n"]
    latest = checkins.find({"event_id": event.pk}).sort([("checked_in_at", -1), ("_id", -1)]).limit(LATEST)
    link = reverse("admin:tickets_checkin_changelist") + f"?event__id__exact={event.pk}"
    return format_html(
        '<p class="checkin-total">{} of {} tickets checked in. <a href="{}">All check-ins</a></p>'
        "<table><tbody>{}</tbody></table><table><thead><tr><th>ticket</th><th>type</th><th>gate</th>"
        "<th>checked in at</th></tr></thead><tbody>{}</tbody></table>",
        total, event.tickets_sold, link,
        format_html_join("", '<tr class="checkin-count"><td>{}</td><td>{}</td></tr>', sorted(counts.items())),
        format_html_join("", '<tr class="checkin"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
                         ((c["_id"], c["ticket_type_name"], c["gate"], c["checked_in_at"]) for c in latest)),
    )


event_page_sections["check-ins"] = checkins_section
