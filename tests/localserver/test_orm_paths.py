"""The Django ORM paths the admin and the app take, on the server in use: each one sends
what the server's patches add (pipeline updates with $literal values, $type, $dateTrunc,
$lookup with localField + pipeline, $addFields merges for select_related ordering)."""

from datetime import UTC, datetime, timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count, Max, Sum

from accounts.models import Role, User
from shared.timeutil import now
from events.models import Event


def make_events(organizer, *specs):
    """Events straight through the ORM: (id, title, status, price_cents, created_at) each."""
    for event_id, title, status, price_cents, created_at in specs:
        Event.objects.create(
            id=event_id, organizer=organizer, title=title, status=status, price_cents=price_cents,
            capacity=10, seats_available=10, created_at=created_at, updated_at=created_at,
        )


def test_saving_an_existing_user_updates_last_login_and_fields(make_user):
    user = make_user(name="Ann")
    moment = now().replace(microsecond=0)
    user.last_login = moment
    user.save(update_fields=["last_login"])  # what django.contrib.auth does at each login
    user.name = "Ann B."
    user.save()
    stored = User.objects.get(pk=user.pk)
    assert (stored.last_login, stored.name, stored.email) == (moment, "Ann B.", user.email)


def test_queryset_update_count_and_aggregate(organizer):
    day = datetime(2024, 5, 1, tzinfo=UTC)
    make_events(organizer, ("EVT-9001", "A", "DRAFT", 100, day), ("EVT-9002", "B", "DRAFT", 250, day),
                ("EVT-9003", "C", "PUBLISHED", 400, day))
    assert Event.objects.filter(status="DRAFT").update(status="CANCELLED", cancel_reason="gone") == 2
    assert Event.objects.filter(status="CANCELLED").count() == 2
    assert Event.objects.filter(status="CANCELLED", cancel_reason="gone").count() == 2
    assert Event.objects.aggregate(total=Sum("price_cents"), top=Max("price_cents")) == {"total": 750, "top": 400}
    assert Event.objects.filter(status="DRAFT").aggregate(total=Sum("price_cents")) == {"total": None}


def test_annotate_count_and_select_related_ordered_by_a_related_field(make_user):
    zed, amy = make_user(Role.ORGANIZER, name="Zed"), make_user(Role.ORGANIZER, name="Amy")
    day = datetime(2024, 5, 1, tzinfo=UTC)
    make_events(zed, ("EVT-9011", "Z1", "PUBLISHED", 0, day), ("EVT-9012", "Z2", "PUBLISHED", 0, day))
    make_events(amy, ("EVT-9013", "A1", "PUBLISHED", 0, day))
    counts = dict(User.objects.filter(role=Role.ORGANIZER).annotate(n=Count("events")).values_list("name", "n"))
    assert counts == {"Zed": 2, "Amy": 1}
    rows = Event.objects.select_related("organizer").order_by("organizer__name", "id")
    assert [(event.id, event.organizer.name) for event in rows] == [
        ("EVT-9013", "Amy"), ("EVT-9011", "Zed"), ("EVT-9012", "Zed")]
    assert [e.id for e in Event.objects.filter(organizer__name__icontains="ze").order_by("-id")] == ["EVT-9012", "EVT-9011"]


def test_date_hierarchy_queries_truncate_dates(organizer):
    make_events(organizer, ("EVT-9021", "A", "DRAFT", 0, datetime(2024, 1, 31, 23, tzinfo=UTC)),
                ("EVT-9022", "B", "DRAFT", 0, datetime(2024, 3, 15, 8, tzinfo=UTC)),
                ("EVT-9023", "C", "DRAFT", 0, datetime(2025, 3, 2, 8, tzinfo=UTC)))
    assert list(Event.objects.dates("created_at", "year")) == [datetime(2024, 1, 1).date(), datetime(2025, 1, 1).date()]
    months = list(Event.objects.filter(created_at__year=2024).datetimes("created_at", "month"))
    assert months == [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)]


def test_delete_removes_the_rows(organizer):
    day = datetime(2024, 5, 1, tzinfo=UTC)
    make_events(organizer, ("EVT-9031", "A", "DRAFT", 0, day), ("EVT-9032", "B", "DRAFT", 0, day))
    deleted, per_model = Event.objects.filter(id="EVT-9031").delete()
    assert deleted == 1 and per_model == {"events.Event": 1}
    assert list(Event.objects.values_list("id", flat=True)) == ["EVT-9032"]


def test_a_session_is_saved_changed_and_read_back():
    session = SessionStore()
    session["cart"] = [1]
    session.create()
    session["cart"] = [1, 2]
    session.set_expiry(timedelta(hours=1))
    session.save()
    assert SessionStore(session_key=session.session_key).load()["cart"] == [1, 2]
    session.delete()
    assert not SessionStore().exists(session.session_key)
