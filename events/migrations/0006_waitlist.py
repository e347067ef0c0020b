"""The waiting list: the `waitlist` array of entries on events (AddField fills [] into
existing documents). Indexes on `waitlist.id` (an entry's event, DELETE /waitlist/:id) and
`waitlist.customer_id` (GET /waitlist/me)."""

import django_mongodb_backend.fields
import events.models
from django.db import migrations, models

INDEXES = {"event_waitlist_id": "waitlist.id", "event_waitlist_customer": "waitlist.customer_id"}


def index_entries(apps, schema_editor):
    for name, key in INDEXES.items():
        schema_editor.connection.database["events"].create_index(key, name=name)


def drop_entry_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.connection.database["events"].drop_index(name)


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0005_holds'),
    ]

    operations = [
        migrations.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', models.CharField(max_length=20, primary_key=True, serialize=False)),
                ('customer_id', django_mongodb_backend.fields.ObjectIdField()),
                ('type', models.CharField(max_length=20)),
                ('qty', models.PositiveIntegerField()),
                ('at', models.DateTimeField()),
                ('state', models.CharField(choices=[('WAITING', 'Waiting'), ('OFFERED', 'Offered'), ('BOOKED', 'Booked'), ('EXPIRED', 'Expired')], max_length=10)),
                ('hold', models.CharField(blank=True, max_length=20, null=True)),
                ('offered_at', models.DateTimeField(blank=True, null=True)),
                ('notified', models.BooleanField(default=False)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='event',
            name='waitlist',
            field=django_mongodb_backend.fields.EmbeddedModelArrayField(blank=True, default=list, embedded_model=events.models.WaitlistEntry),
        ),
        migrations.RunPython(index_entries, drop_entry_indexes),
    ]
