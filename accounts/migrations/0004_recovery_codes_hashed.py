"""Recovery codes were stored as they are shown (django-otp's static tokens keep the token as
typed). They are stored as their keyed digest now (``accounts.twofactor.recovery_digest``): the
codes issued before keep working, typed as they were given."""

from django.db import migrations

RECOVERY_DEVICE = "recovery"  # accounts.twofactor.RECOVERY_DEVICE
PLAIN_LENGTH = 8  # django-otp's random_token(): 5 random bytes in base32; a digest has 16 characters


def hash_codes(apps, schema_editor):
    from accounts.twofactor import recovery_digest

    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.filter(device__name=RECOVERY_DEVICE).only("pk", "token"):
        if len(token.token) == PLAIN_LENGTH:
            StaticToken.objects.filter(pk=token.pk).update(token=recovery_digest(token.token))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_token"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(hash_codes, migrations.RunPython.noop)]
