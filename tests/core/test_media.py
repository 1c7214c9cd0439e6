"""Uploaded files are served only to users who may see the row that holds them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from activities.models import ActivityFile
from tests.activities.factories import ActivityFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def files(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    activity = ActivityFactory(host=world.branch_a1)
    photo = ActivityFile.objects.create(
        activity=activity, kind="photo", name="合影.png", size=len(PNG), file=SimpleUploadedFile("photo.png", PNG)
    )
    html = ActivityFile.objects.create(
        activity=activity, kind="attachment", name="x.html", size=9, file=SimpleUploadedFile("x.html", b"<script>")
    )
    return photo, html


def test_the_branch_sees_its_photo_inline(client, world, files):
    photo, _ = files
    client.force_login(world.secretary)
    response = client.get(photo.file.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert not response["Content-Disposition"].startswith("attachment")


def test_other_branches_and_districts_get_404(client, world, files):
    photo, _ = files
    for user in (world.secretary_b, world.official_b, world.outsider):
        client.force_login(user)
        assert client.get(photo.file.url).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, files):
    response = client.get(files[0].file.url)
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_active_content_is_downloaded_never_rendered(client, world, files):
    _, html = files
    client.force_login(world.secretary)
    response = client.get(html.file.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_paths_outside_the_listed_uploads_are_never_served(client, world, files, settings):
    (settings.MEDIA_ROOT / "secret.txt").write_text("x")
    client.force_login(world.superuser)
    for path in ("/media/secret.txt", "/media/activities/../secret.txt", "/media/activities/%2e%2e/secret.txt"):
        assert client.get(path).status_code == 404


def test_behind_nginx_the_file_is_handed_over_by_x_accel_redirect(client, world, files, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    photo, _ = files
    client.force_login(world.park_admin)
    response = client.get(photo.file.url)
    assert response["X-Accel-Redirect"] == "/protected-media/" + photo.file.name


def test_every_file_field_of_the_project_is_protected():
    from django.apps import apps
    from django.db import models

    from core.media import PROTECTED

    listed = {(label, field) for _, label, field in PROTECTED}
    for model in apps.get_models():
        if model._meta.app_label not in {"parks", "members", "activities", "services", "portal"}:
            continue
        if model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                assert (model._meta.label, field.name) in listed, f"{model._meta.label}.{field.name} is not served"
                prefix = next(p for p, label, name in PROTECTED if (label, name) == (model._meta.label, field.name))
                assert str(field.upload_to).startswith(prefix)
