"""Reads of the notice log for the API."""

from shared.pagination import paginate
from notifications.log import notices, notices_gap


def notice_list(*, user, after=None, page, page_size):
    """The user's notices with an id above `after`, oldest first, in pages; `gap` says
    when notices after `after` expired before being read (notifications.log)."""
    recipient = str(user.pk)
    query = {"recipient": recipient, **({"seq": {"$gt": after}} if after else {})}
    result = paginate(notices(), query, sort=[("seq", 1)], page=page, page_size=page_size)
    result["gap"] = notices_gap(recipient=recipient, after=after)
    return result
