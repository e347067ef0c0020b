"""Who may call what. Views declare it; these classes check it.

Each view sets `roles`, a map from HTTP method to `ANYONE` or a set of roles
(`"*"` is the fallback for methods not named). A method with no rule is denied:
forgetting a rule fails closed. Ownership is checked by the services, which
raise eventbooking.errors.Forbidden.
"""

from rest_framework.permissions import BasePermission

from accounts.models import Role

ANYONE = "anyone"
AUTHENTICATED = frozenset({Role.ORGANIZER, Role.CUSTOMER})
ORGANIZERS = frozenset({Role.ORGANIZER})
CUSTOMERS = frozenset({Role.CUSTOMER})


class RolePermission(BasePermission):
    message = "Your role may not do this."

    def has_permission(self, request, view):
        method = "GET" if request.method == "HEAD" else request.method
        rule = view.roles.get(method, view.roles.get("*"))
        if rule is None:
            # OPTIONS only describes the view, and a method the view lacks is DRF's 405;
            # a method it has with no rule is denied.
            return method == "OPTIONS" or not hasattr(view, method.lower())
        if rule == ANYONE:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.role in rule
