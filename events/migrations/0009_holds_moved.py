"""Holds moved to their own collection (bookings/migrations/0007_holds_from_events moved
them): the events' `holds` field and its indexes go."""

from django.db import migrations

OLD_INDEXES = ("event_hold_id", "event_hold_expiry")


def drop_hold_indexes(apps, schema_editor):
    events = schema_editor.connection.database["events"]
    existing = events.index_information()
    for name in OLD_INDEXES:
        if name in existing:
            events.drop_index(name)


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0008_waitlist_moved'),
        ('bookings', '0007_holds_from_events'),
    ]

    operations = [
        migrations.RunPython(drop_hold_indexes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='event',
            name='holds',
        ),
    ]
