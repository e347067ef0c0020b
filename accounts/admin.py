from django.contrib import admin

from accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "role", "is_staff", "is_active", "date_joined"]
    list_filter = ["role", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    ordering = ["-date_joined"]
    readonly_fields = ["password", "last_login", "date_joined"]
    fields = ["name", "email", "role", "is_active", "is_staff", "is_superuser", "password", "last_login", "date_joined"]
