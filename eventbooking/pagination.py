"""Page-number pagination over a PyMongo query, one shape for every list.

Response: {"count", "page", "page_size", "pages", "next", "previous", "results"}
where next/previous are page numbers or null. A page beyond the end is an empty
`results` list with the true count, not an error.
"""

from rest_framework import serializers

from eventbooking.serializers import StrictSerializer

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageInput(StrictSerializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)


def paginate(coll, query, *, sort, page, page_size):
    """`sort` is a PyMongo sort list; it must end with a unique key so pages never overlap."""
    count = coll.count_documents(query)
    docs = list(coll.find(query).sort(sort).skip((page - 1) * page_size).limit(page_size))
    pages = (count + page_size - 1) // page_size
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": pages,
        "next": page + 1 if page < pages else None,
        "previous": page - 1 if page > 1 else None,
        "results": docs,
    }
