from django.db import models


class Counter(models.Model):
    """Named sequences behind the public ids (`EVT`, `BK`); see shared.mongo."""

    name = models.CharField(primary_key=True, max_length=32, db_column="_id")
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters"

    def __str__(self):
        return f"{self.name}={self.value}"
