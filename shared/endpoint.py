"""The base of every API view: its query string is checked in one place.

A view declares the parameters each method takes (`query`, method -> a
shared.pagination.QueryInput subclass); a method that declares none takes
none. So `?cty=lyon` (a typo) or `/me?debug=1` is a 400 naming the parameter,
never silently ignored. The check runs after authentication and the role check
(401 and 403 come first, as everywhere), before the handler; the handler reads
the validated parameters from `request.params`.
"""

from rest_framework.views import APIView

from shared.pagination import QueryInput


class StrictQuery:
    """The check, as a mixin for views that cannot derive from Endpoint (a library's view)."""

    query = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "OPTIONS":
            return
        method = "GET" if request.method == "HEAD" else request.method
        request.params = self.query.get(method, QueryInput).validated(request.query_params)


class Endpoint(StrictQuery, APIView):
    pass
