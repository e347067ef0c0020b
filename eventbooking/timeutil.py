from datetime import UTC, datetime


def now():
    # MongoDB keeps milliseconds; trimming here makes what we answer equal what we store.
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def aware(moment):
    """PyMongo returns naive UTC datetimes; make them timezone-aware."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
