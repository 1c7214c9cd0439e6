"""The admin site itself: its titles, and who gets in at all (``core.admin.may_enter_admin``):
superusers and park administrators. Each app registers its own models in its admin.py."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import may_enter_admin

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = _("Hongfan back office")
admin.site.index_title = _("Back office")
# Staff status alone does not open the back office: the role does. (An instance attribute, so
# that the default site and its URLs stay as they are.)
admin.site.has_permission = lambda request: may_enter_admin(request.user)

# django-otp registers its devices in the back office with English forms. Devices are set up,
# replaced and removed by their owners on the two-factor pages (accounts.twofactor,
# docs/security.md); a superuser resets a lost one with `manage.py shell` as documented there.
for _model_path in ("otp_totp.TOTPDevice", "otp_static.StaticDevice"):
    try:
        from django.apps import apps as _apps

        admin.site.unregister(_apps.get_model(_model_path))
    except (LookupError, admin.exceptions.NotRegistered):
        pass
