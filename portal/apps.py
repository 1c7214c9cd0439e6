from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shell: settings, the root URLconf, the API router, Celery, the home page and the menu.
    It holds no model (its old ones moved to accounts, notifications, reports and dataio)."""

    name = "portal"

    def ready(self):
        from django.apps import apps
        from django.utils.translation import gettext_lazy as _

        # django-axes names its app "Axes" (from its label), which no catalogue translates.
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Login protection")
        # django-otp's apps and models carry English names outside any catalogue (accounts.twofactor).
        otp_names = {
            "otp_totp": (
                _("Two-factor: authenticator apps"),
                {"totpdevice": (_("authenticator app"), _("authenticator apps"))},
            ),
            "otp_static": (
                _("Two-factor: recovery codes"),
                {
                    "staticdevice": (_("recovery code set"), _("recovery code sets")),
                    "statictoken": (_("recovery code"), _("recovery codes")),
                },
            ),
        }
        for label, (app_name, models) in otp_names.items():
            if apps.is_installed(f"django_otp.plugins.{label}"):
                config = apps.get_app_config(label)
                config.verbose_name = app_name
                for model_name, (singular, plural) in models.items():
                    meta = config.get_model(model_name)._meta
                    meta.verbose_name, meta.verbose_name_plural = singular, plural
