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
    """Query parameters of a list. Subclass it to add filters; pass `request.query_params`.

    A parameter given empty (`?city=`) counts as absent; one given twice is a 400,
    and so is a page_size above the cap (rather than a silently smaller page)."""

    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            repeated = {name: ["Give this parameter once."] for name in data if len(data.getlist(name)) > 1}
            if repeated:
                raise serializers.ValidationError(repeated, code="repeated_parameter")
            data = {name: value for name, value in data.items() if value != ""}
        return super().to_internal_value(data)


def paginate(coll, query, *, sort, page, page_size, projection=None):
    """`sort` is a PyMongo sort list; it must end with a unique key so pages never overlap."""
    count = coll.count_documents(query)
    docs = list(coll.find(query, projection).sort(sort).skip((page - 1) * page_size).limit(page_size))
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
