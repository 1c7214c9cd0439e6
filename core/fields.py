from django.db import models

from core import crypto


class EncryptedCharField(models.TextField):
    """Holds plaintext in Python and Fernet ciphertext in the database.

    Lookups on the column cannot work (the ciphertext is randomised); use a ``DigestField``.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)


class DigestField(models.CharField):
    """A keyed digest of another field, filled on every save (bulk_create included)."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        digest = crypto.digest(value) if value else None
        setattr(model_instance, self.attname, digest)
        return digest
