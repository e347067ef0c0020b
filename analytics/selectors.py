"""An organizer's figures, computed from the bookings collection: CONFIRMED
bookings only, so cancelled ones (by the customer or with their event) never count."""

from datetime import UTC, datetime, time, timedelta

from bookings.models import BookingStatus
from shared.errors import DomainError
from shared.mongo import bookings, events
from events.models import EventStatus
from events.errors import EventNotFound
from events.errors import TicketTypeNotFound


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


# Sales over time -----------------------------------------------------------------------

SALES_MAX_BUCKETS = 1000
HOUR = timedelta(hours=1)
# MongoDB's $dateTrunc counts bins from this instant in the time zone (the manual).
REFERENCE = datetime(2000, 1, 1)


class TooManyBuckets(DomainError):
    code = "too_many_buckets"


def _owned_events(organizer, event_id, ticket_type_id):
    """The ids of the organizer's events the series covers; 404 for an event or a ticket
    type that is not theirs."""
    query = {"organizer_id": organizer.pk}
    if event_id:
        query["_id"] = event_id
    if ticket_type_id:
        query["types.id"] = ticket_type_id
    ids = [doc["_id"] for doc in events().find(query, {"_id": 1})]
    if event_id and not ids and not events().find_one({"_id": event_id, "organizer_id": organizer.pk}, {"_id": 1}):
        raise EventNotFound()
    if ticket_type_id and not ids:
        raise TicketTypeNotFound()
    return ids


def bucket_starts(*, interval, start, end, zone):
    """The start of every bucket from the one holding `start` to the one holding the last
    instant before `end`, as $dateTrunc computes them (calendar days and Monday weeks in
    `zone`, daylight saving time included; hours counted from REFERENCE's offset)."""
    if interval == "hour":
        offset = zone.utcoffset(REFERENCE)
        origin = REFERENCE.replace(tzinfo=UTC) - offset
        first = start - (start - origin) % HOUR
        moments = (first + HOUR * n for n in range(SALES_MAX_BUCKETS + 1))
    else:
        day = start.astimezone(zone).date()
        if interval == "week":
            day -= timedelta(days=day.weekday())
        step = timedelta(days=7 if interval == "week" else 1)
        moments = (
            datetime.combine(day + step * n, time(), tzinfo=zone).astimezone(UTC) for n in range(SALES_MAX_BUCKETS + 1)
        )
    starts = []
    for moment in moments:
        if moment >= end:
            return starts
        if len(starts) == SALES_MAX_BUCKETS:
            break
        starts.append(moment)
    raise TooManyBuckets(
        f"At most {SALES_MAX_BUCKETS} {interval}s per series: shorten the range or take a longer interval.",
        max_buckets=SALES_MAX_BUCKETS,
    )


def sales_series(*, organizer, interval, start, end, zone, event_id=None, ticket_type_id=None):
    """Confirmed tickets and revenue per `interval` in time zone `zone`, booked from `start`
    (included) to `end` (excluded), of the organizer's events (or one event, or one ticket
    type), every bucket present (empty ones with zeros). Grouped in the database."""
    starts = bucket_starts(interval=interval, start=start, end=end, zone=zone)
    ids = _owned_events(organizer, event_id, ticket_type_id)
    match = {"event_id": {"$in": ids}}
    if ticket_type_id:
        match["ticket_type_id"] = ticket_type_id
    return _series(match if ids else None, starts, interval=interval, start=start, end=end, zone=zone)


def sales_series_all(*, interval, start, end, zone, event_id=None):
    """sales_series of every event (or of one), for staff."""
    starts = bucket_starts(interval=interval, start=start, end=end, zone=zone)
    return _series({"event_id": event_id} if event_id else {}, starts, interval=interval, start=start, end=end, zone=zone)


def _series(match, starts, *, interval, start, end, zone):
    """`match` None: nothing can match (no events)."""
    found = {}
    if match is not None:
        match = {**match, "status": BookingStatus.CONFIRMED.value, "created_at": {"$gte": start, "$lt": end}}
        found = {row["_id"]: row for row in bookings().aggregate(_sales_pipeline(match, interval, zone))}
    series = []
    for moment in sorted(set(starts) | set(found)):
        row = found.get(moment, {})
        series.append({
            "start": moment.astimezone(zone), "bookings": row.get("bookings", 0), "tickets": row.get("tickets", 0),
            "revenue_cents": row.get("revenue", 0),
        })
    return {
        "interval": interval, "tz": zone.key, "from": start.astimezone(zone), "to": end.astimezone(zone),
        "bookings": sum(b["bookings"] for b in series), "tickets": sum(b["tickets"] for b in series),
        "revenue_cents": sum(b["revenue_cents"] for b in series), "series": series,
    }


def top_events(*, start, end, limit=5):
    """The events that sold the most tickets (confirmed) booked from `start` to `end`, with
    their revenue and title, for staff (served by the (status, created_at) index)."""
    return list(bookings().aggregate([
        {"$match": {"status": BookingStatus.CONFIRMED.value, "created_at": {"$gte": start, "$lt": end}}},
        {"$group": {"_id": "$event_id", "tickets": {"$sum": "$qty"}, "revenue_cents": {"$sum": "$amount_cents"}}},
        {"$sort": {"tickets": -1, "revenue_cents": -1, "_id": 1}},
        {"$limit": limit},
        {"$lookup": {"from": "events", "localField": "_id", "foreignField": "_id", "as": "event"}},
        {"$unwind": "$event"},
        {"$project": {"tickets": 1, "revenue_cents": 1, "title": "$event.title", "status": "$event.status"}},
        {"$sort": {"tickets": -1, "revenue_cents": -1, "_id": 1}},
    ]))


def _sales_pipeline(match, interval, zone):
    trunc = {"date": "$created_at", "unit": interval, "timezone": zone.key}
    if interval == "week":
        trunc["startOfWeek"] = "monday"
    return [
        {"$match": match},
        {"$group": {
            "_id": {"$dateTrunc": trunc}, "bookings": {"$sum": 1}, "tickets": {"$sum": "$qty"}, "revenue": {"$sum": "$amount_cents"},
        }},
    ]
