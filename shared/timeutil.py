from datetime import UTC, datetime


def now():
    # MongoDB keeps milliseconds; trimming here makes what we answer equal what we store.
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
