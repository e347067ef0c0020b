"""Who may call what. Views declare it; these classes check it.

Each view sets `roles`, a map from HTTP method to `ANYONE` or a set of roles
(`"*"` is the fallback for methods not named). A method with no rule is denied:
forgetting a rule fails closed. Ownership is checked by the services, which
raise shared.errors.Forbidden.
"""

from rest_framework.permissions import BasePermission

from accounts.models import Role
from shared.errors import Forbidden

ANYONE = "anyone"
AUTHENTICATED = frozenset({Role.ORGANIZER, Role.CUSTOMER})
ORGANIZERS = frozenset({Role.ORGANIZER})
CUSTOMERS = frozenset({Role.CUSTOMER})


class RolePermission(BasePermission):
    """A refusal by role is a 403 `permission_denied` naming the roles that may
    (`required_roles`); a method with no rule is refused plainly."""

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
            return False  # DRF answers 401: no or bad credentials come first
        if user.role not in rule:
            needed = [str(role) for role in sorted(rule)]
            raise Forbidden(
                f"Only {' or '.join(role.lower() + 's' for role in needed)} may do this; you are {user.role.lower()}.",
                required_roles=needed,
            )
        return True
