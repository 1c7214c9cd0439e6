"""Uploaded files in a private bucket of an S3-compatible object store (MinIO, S3, OSS, COS...).

django-storages' S3 backend, with one change: a file's URL is the portal's own ``/media/<name>``
(core.media.serve, which checks the scope and then streams the object from the bucket), never a
link to the bucket, presigned or not. So no page carries the bucket's address, the bucket stays
private, and a file reaches only users who may see the row that holds it.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage


class PrivateMediaStorage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))
