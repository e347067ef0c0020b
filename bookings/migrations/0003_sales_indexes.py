from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0002_ticket_types"),
    ]

    operations = [
        # (event, status) is a prefix of booking_event_time, which replaces it.
        migrations.RemoveIndex(model_name="booking", name="booking_event"),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(fields=["event", "status", "created_at", "id"], name="booking_event_time"),
        ),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(fields=["event", "status", "amount_cents", "id"], name="booking_event_amount"),
        ),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(fields=["status", "created_at"], name="booking_recent"),
        ),
    ]
