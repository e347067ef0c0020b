"""An organizer's figures, computed from the bookings collection: CONFIRMED
bookings only, so cancelled ones (by the customer or with their event) never count."""

from bookings.models import BookingStatus
from eventbooking.mongo import bookings, events
from events.models import EventStatus


def organizer_analytics(*, organizer):
    by_status = {status: 0 for status in EventStatus.values}
    event_ids = []
    for row in events().aggregate(
        [
            {"$match": {"organizer_id": organizer.pk}},
            {"$group": {"_id": "$status", "count": {"$sum": 1}, "ids": {"$push": "$_id"}}},
        ]
    ):
        by_status[row["_id"]] = row["count"]
        event_ids += row["ids"]

    sales = {"tickets_sold": 0, "revenue_cents": 0, "top_event": None, "by_ticket_type": []}
    if event_ids:
        [facets] = bookings().aggregate(
            [
                {"$match": {"status": BookingStatus.CONFIRMED.value, "event_id": {"$in": event_ids}}},
                {
                    "$facet": {
                        "totals": [{"$group": {"_id": None, "tickets": {"$sum": "$qty"}, "revenue": {"$sum": "$amount_cents"}}}],
                        "by_type": [
                            {
                                "$group": {
                                    "_id": {"event": "$event_id", "type": "$ticket_type_id"},
                                    "tickets": {"$sum": "$qty"},
                                    "revenue": {"$sum": "$amount_cents"},
                                }
                            },
                            {"$sort": {"_id.event": 1, "_id.type": 1}},
                        ],
                        "top": [
                            {"$group": {"_id": "$event_id", "tickets": {"$sum": "$qty"}, "revenue": {"$sum": "$amount_cents"}}},
                            {"$lookup": {"from": "events", "localField": "_id", "foreignField": "_id", "as": "event"}},
                            {"$unwind": "$event"},
                            # Ties: more revenue first, then the earliest created event.
                            {"$sort": {"tickets": -1, "revenue": -1, "event.created_at": 1, "_id": 1}},
                            {"$limit": 1},
                            {"$project": {"tickets": 1, "revenue": 1, "title": "$event.title"}},
                        ],
                    }
                },
            ]
        )
        if facets["totals"]:
            sales["tickets_sold"] = facets["totals"][0]["tickets"]
            sales["revenue_cents"] = facets["totals"][0]["revenue"]
        sales["by_ticket_type"] = _by_type(facets["by_type"])
        if facets["top"]:
            top = facets["top"][0]
            sales["top_event"] = {
                "id": top["_id"],
                "title": top["title"],
                "tickets_sold": top["tickets"],
                "revenue_cents": top["revenue"],
            }
    return {"total_events": len(event_ids), "events_by_status": by_status, **sales}


def _by_type(rows):
    """Sales per (event, ticket type), with the names the event document holds now."""
    ids = sorted({row["_id"]["event"] for row in rows})
    docs = {doc["_id"]: doc for doc in events().find({"_id": {"$in": ids}}, {"title": 1, "types": 1})}
    result = []
    for row in rows:
        event = docs.get(row["_id"]["event"], {})
        names = {t["id"]: t["name"] for t in event.get("types") or []}
        result.append(
            {
                "event_id": row["_id"]["event"],
                "event_title": event.get("title", ""),
                "ticket_type_id": row["_id"]["type"],
                "ticket_type_name": names.get(row["_id"]["type"], ""),
                "tickets_sold": row["tickets"],
                "revenue_cents": row["revenue"],
            }
        )
    return result
