"""Who may call what. Views declare it; these classes check it.

Each view sets `roles`, a map from HTTP method to `ANYONE` or a set of roles
(`"*"` is the fallback for methods not named). Ownership is an object permission:
the view names the document field that holds the owner's id in `owner_field`.
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
        rule = view.roles.get(request.method, view.roles.get("*"))
        if rule is None or rule == ANYONE:
            # Methods without a rule fall through to DRF's 405.
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.role in rule


class IsOwner(BasePermission):
    message = "Only the owner may do this."

    def has_object_permission(self, request, view, obj):
        owner = obj.get(view.owner_field) if isinstance(obj, dict) else getattr(obj, view.owner_field)
        user = request.user
        return bool(user and user.is_authenticated and str(owner) == str(user.pk))
