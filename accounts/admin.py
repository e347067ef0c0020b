"""Staff manage users with Django's own user admin (password summary, the set-password
page, an add form that hashes the password), fitted to this model: email instead
of a username, a role, and no groups or per-user permissions (staff accounts
are superusers, made by `manage.py createstaff`)."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group

from accounts.models import User, normalize_email


class LowercaseEmail:
    def clean_email(self):
        # Stored lowercased (accounts.models.normalize_email): the unique index then ignores case.
        return normalize_email(self.cleaned_data["email"])


class UserChangeForm(LowercaseEmail, auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "is_active" in self.fields:
            # What simplejwt's JWTAuthentication and notifications.realtime check on every request and connection.
            self.fields["is_active"].help_text = (
                "Untick to disable the account: it cannot log in, its tokens are refused at their next "
                "request and its real-time connections are refused."
            )


class UserCreationForm(LowercaseEmail, auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name", "role"]


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["email", "name", "role", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["role", "is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
    ordering = ["-date_joined"]
    filter_horizontal = []
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "name", "role", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "role", "usable_password", "password1", "password2"]}),
    ]


# Staff accounts are superusers (createstaff); groups are not used.
admin.site.unregister(Group)
