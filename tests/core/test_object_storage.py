"""Uploads in a private S3 bucket (production's object storage), against moto's S3 server.

The portal writes through Django's storage API only, so the same page that keeps a photo on disk in
the embedded mode puts it in the bucket here; the photo is read back through the scoped media view
and the pages never link to the bucket.
"""

import io

import boto3
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image

from activities.models import ActivityFile
from tests.activities.factories import earlier_today

pytestmark = pytest.mark.django_db
BUCKET = "hongfan-media-test"
KEYS = {"access_key": "testing-access", "secret_key": "testing-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    endpoint, client = s3_endpoint
    settings.MEDIA_ROOT = tmp_path  # must stay empty: nothing is written to the disk
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "core.storage.PrivateMediaStorage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                **KEYS,
                "default_acl": "private",
                "file_overwrite": False,
                "addressing_style": "path",
                "signature_version": "s3v4",
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_photo_goes_to_the_bucket_and_comes_back_only_through_the_scope(client, world, bucket, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert not default_storage.exists("activities")
    assert type(default_storage._wrapped).__name__ == "PrivateMediaStorage"
    photo_bytes = png_bytes()
    client.force_login(world.secretary)
    response = client.post(
        reverse("activities:create"),
        {
            "org": world.branch_a1.pk,
            "kind": "training",
            "title": "支委会",
            "starts_at": timezone.localtime(earlier_today(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "non_member_count": "0",
            "photos": [SimpleUploadedFile("合影.png", photo_bytes, content_type="image/png")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = ActivityFile.objects.get(kind="photo")

    # In the bucket, private; nothing on this machine's disk.
    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [photo.file.name]
    assert bucket.get_object(Bucket=BUCKET, Key=photo.file.name)["Body"].read() == photo_bytes
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=photo.file.name)["Grants"]
    assert not [g for g in grants if g["Grantee"].get("URI", "").endswith("AllUsers")]
    assert not list(tmp_path.iterdir())

    # The activity's page links to the portal's media view, never to the bucket.
    page = client.get(reverse("activities:detail", args=[photo.activity_id])).content.decode()
    url = photo.file.url
    assert url.startswith("/media/activities/")
    assert url in page
    endpoint = bucket.meta.endpoint_url
    for leak in (endpoint, endpoint.split("//")[1], BUCKET, "X-Amz-", "Signature="):
        assert leak not in page

    # Read back through the scope check, streamed from the bucket.
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == photo_bytes
    assert response["Content-Type"] == "image/png"

    # Another park's people: 404, as for a file that does not exist.
    for user in (world.secretary_b, world.official_b):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_a_row_pointing_at_a_missing_object_is_a_404(client, world, bucket):
    from tests.activities.factories import ActivityFactory

    activity = ActivityFactory(host=world.branch_a1)
    ActivityFile.objects.create(
        activity=activity, kind="photo", name="x.png", size=1, file="activities/2026/01/gone.png"
    )
    client.force_login(world.secretary)
    assert client.get("/media/activities/2026/01/gone.png").status_code == 404
