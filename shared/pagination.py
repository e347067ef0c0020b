"""Query parameters, and page-number pagination: one shape for every list.

Response: {"count", "page", "page_size", "pages", "next", "previous", "results"}
where next/previous are page numbers or null. A page beyond the end is an empty
`results` list with the true count, not an error. A list is paged over a PyMongo
query (`paginate`) or, when a selector returns the whole list, in memory (`page_list`).

Every API view checks its query string with a QueryInput (shared.endpoint):
a view that takes no parameters refuses any, as lists refuse a parameter they
do not know.
"""

from rest_framework import serializers

from shared.serializers import StrictSerializer

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class QueryInput(StrictSerializer):
    """Query parameters (`request.query_params`); this class itself takes none, so any
    parameter given is a 400 naming it. Subclass it to declare some.

    A parameter given empty (`?city=`) counts as absent; one given twice is a 400."""

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            repeated = {name: ["Give this parameter once."] for name in data if len(data.getlist(name)) > 1}
            if repeated:
                raise serializers.ValidationError(repeated, code="repeated_parameter")
            data = {name: value for name, value in data.items() if value != ""}
        return super().to_internal_value(data)


class PageInput(QueryInput):
    """Query parameters of a list. Subclass it to add filters. A page_size above the cap
    is a 400 (rather than a silently smaller page)."""

    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)


def paginate(coll, query, *, sort, page, page_size, projection=None):
    """`sort` is a PyMongo sort list; it must end with a unique key so pages never overlap."""
    docs = list(coll.find(query, projection).sort(sort).skip((page - 1) * page_size).limit(page_size + 1))
    return page_of(coll, query, docs, page=page, page_size=page_size)


def page_of(coll, query, docs, *, page, page_size):
    """The answer for `docs`, found by `query` with skip (page - 1) * page_size and limit
    page_size + 1: the one document beyond the page says whether there are more; when
    there are none (a last page) the count follows, and no separate count is needed."""
    skip = (page - 1) * page_size
    if len(docs) > page_size or (not docs and page > 1):
        count = coll.count_documents(query)
    else:
        count = skip + len(docs)
    return _envelope(count, docs[:page_size], page=page, page_size=page_size)


def page_list(items, *, page, page_size):
    """The page of `items` (a whole list, in its order), in the shape of page_of."""
    skip = (page - 1) * page_size
    return _envelope(len(items), items[skip : skip + page_size], page=page, page_size=page_size)


def _envelope(count, results, *, page, page_size):
    pages = (count + page_size - 1) // page_size
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": pages,
        "next": page + 1 if page < pages else None,
        "previous": page - 1 if page > 1 else None,
        "results": results,
    }
