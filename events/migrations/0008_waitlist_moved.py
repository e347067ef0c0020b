"""The waiting list moved to its own collection (waitlist/migrations/0002 moved the entries):
the events' `waitlist` field and its indexes go; `line_seq` orders the line; a pending marker
may be a waiting-list entry's (`kind`, `entry`, `hold`, `then`)."""

from django.db import migrations, models

OLD_INDEXES = ("event_waitlist_id", "event_waitlist_customer")


def drop_entry_indexes(apps, schema_editor):
    events = schema_editor.connection.database["events"]
    existing = events.index_information()
    for name in OLD_INDEXES:
        if name in existing:
            events.drop_index(name)


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0007_waitlist_closed'),
        ('waitlist', '0002_entries_from_events'),
    ]

    operations = [
        migrations.RunPython(drop_entry_indexes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='event',
            name='waitlist',
        ),
        migrations.AddField(
            model_name='event',
            name='line_seq',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='pendingseats',
            name='entry',
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        migrations.AddField(
            model_name='pendingseats',
            name='hold',
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        migrations.AddField(
            model_name='pendingseats',
            name='kind',
            field=models.CharField(blank=True, default='', max_length=10),
        ),
        migrations.AddField(
            model_name='pendingseats',
            name='then',
            field=models.CharField(blank=True, default='', max_length=10),
        ),
        migrations.AlterField(
            model_name='pendingseats',
            name='amount_cents',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='pendingseats',
            name='booking',
            field=models.CharField(blank=True, default='', max_length=20),
        ),
    ]
