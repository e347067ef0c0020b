"""Seat holds: `seats_held` on events and their types, the `holds` list, and per type
`waitlist_waiting`. AddField fills the event-level fields into existing documents;
fill_type_counters gives every existing type its zero counters, each event by one
update conditional on the types it was read with (safe beside running servers, and
to run again). Indexes on `holds.id` (a hold's event) and `holds.expires_at` (the
reconciler's expiry pass); the ORM cannot declare indexes inside embedded lists."""

import django_mongodb_backend.fields
import events.models
from django.db import migrations, models

NEW_TYPE_COUNTERS = ("seats_held", "waitlist_waiting")


def fill_type_counters(apps, schema_editor):
    events = schema_editor.connection.database["events"]
    for doc in list(events.find({}, {"types": 1})):
        types = doc.get("types") or []
        while any(name not in t for t in types for name in NEW_TYPE_COUNTERS):
            filled = [{**{name: 0 for name in NEW_TYPE_COUNTERS}, **t} for t in types]
            if events.update_one({"_id": doc["_id"], "types": types}, {"$set": {"types": filled}}).modified_count:
                break
            types = (events.find_one({"_id": doc["_id"]}, {"types": 1}) or {}).get("types") or []


def index_holds(apps, schema_editor):
    events = schema_editor.connection.database["events"]
    events.create_index("holds.id", name="event_hold_id")
    events.create_index("holds.expires_at", name="event_hold_expiry")


def drop_hold_indexes(apps, schema_editor):
    events = schema_editor.connection.database["events"]
    events.drop_index("event_hold_id")
    events.drop_index("event_hold_expiry")


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0004_version'),
    ]

    operations = [
        migrations.CreateModel(
            name='SeatHold',
            fields=[
                ('id', models.CharField(max_length=20, primary_key=True, serialize=False)),
                ('customer_id', django_mongodb_backend.fields.ObjectIdField()),
                ('type', models.CharField(max_length=20)),
                ('qty', models.PositiveIntegerField()),
                ('unit_price_cents', models.BigIntegerField()),
                ('expires_at', models.DateTimeField()),
                ('at', models.DateTimeField()),
                ('entry', models.CharField(blank=True, max_length=20, null=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='event',
            name='holds',
            field=django_mongodb_backend.fields.EmbeddedModelArrayField(blank=True, default=list, embedded_model=events.models.SeatHold),
        ),
        migrations.AddField(
            model_name='event',
            name='seats_held',
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name='tickettype',
            name='seats_held',
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name='tickettype',
            name='waitlist_waiting',
            field=models.IntegerField(default=0),
        ),
        migrations.RunPython(fill_type_counters, migrations.RunPython.noop),
        migrations.RunPython(index_holds, drop_hold_indexes),
    ]
