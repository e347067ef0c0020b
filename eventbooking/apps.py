"""App configs that give Django's contrib apps MongoDB primary keys.

django-mongodb-backend needs every model keyed by ObjectIdAutoField; contrib apps
declare AutoField in their AppConfig, so they are overridden here and their
migrations live in mongo_migrations/ (see MIGRATION_MODULES in settings).
"""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

MONGO_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = MONGO_AUTO_FIELD
    default_site = "staff.site.StaffSite"


class MongoAuthConfig(AuthConfig):
    default_auto_field = MONGO_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = MONGO_AUTO_FIELD


class EventBookingConfig(AppConfig):
    name = "eventbooking"
    default_auto_field = MONGO_AUTO_FIELD
