"""Uploaded files are served only to users who may see the row that holds them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from activities.models import ActivityFile
from tests.activities.factories import ActivityFactory

PROJECT_APPS = {
    "core",
    "accounts",
    "notifications",
    "parks",
    "members",
    "activities",
    "services",
    "stats",
    "reports",
    "dataio",
    "demo",
    "portal",
}

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
        if model._meta.app_label not in PROJECT_APPS:
            continue
        if model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                assert (model._meta.label, field.name) in listed, f"{model._meta.label}.{field.name} is not served"
                prefix = next(p for p, label, name in PROTECTED if (label, name) == (model._meta.label, field.name))
                assert str(field.upload_to).startswith(prefix)


# -- paths no stored file can have: 404 before the database or the filesystem sees them -----------


@pytest.mark.parametrize(
    "path",
    [
        "/media/imports/2026/05/members.xlsx%00.png",  # NUL: PostgreSQL refuses it in a query
        "/media/activities/%00",
        "/media/activities/photo%0a.png",
        "/media/activities/..%2fsecret.txt",
        "/media/activities/%2e%2e/%2e%2e/etc/passwd",
        "/media/activities%5c..%5csecret.txt",  # backslashes
        "/media/activities/a%5cb.png",
        "/media//etc/passwd",  # absolute
        "/media/activities//photo.png",
        "/media/./activities/photo.png",
        "/media/activities/" + "a" * 256 + ".png",  # overlong name
        "/media/activities/" + "/".join(["abcdefghij"] * 30) + ".png",  # overlong path
    ],
)
def test_a_path_no_upload_could_have_is_a_404_not_a_500(client, world, files, path):
    for user in (world.superuser, world.secretary):
        client.force_login(user)
        assert client.get(path).status_code == 404
    client.logout()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("activities/2026/05/photo.png", True),
        ("activities/2026/05/合影.png", True),
        ("activities/2026/05/photo.png\x00.png", False),
        ("activities/../secret.txt", False),
        ("../secret.txt", False),
        ("activities\\..\\secret.txt", False),
        ("/etc/passwd", False),
        ("activities/", False),
        ("activities/./photo.png", False),
        ("", False),
        ("activities/" + "照" * 86 + ".png", False),  # 262 bytes in UTF-8
        ("activities/" + "照" * 80 + ".png", True),
    ],
)
def test_valid_path(path, valid):
    from core.media import valid_path

    assert valid_path(path) is valid


# -- import spreadsheets: stored, read by the engine, served to nobody ---------------------------


@pytest.fixture
def spreadsheet(world, settings, tmp_path):
    from django.core.files.base import ContentFile

    from dataio.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    job = ImportJob(user=world.park_admin, kind="members", filename="members.xlsx", status="checked")
    job.file.save("members.xlsx", ContentFile(b"330402198603010011"), save=False)
    job.save()
    return job


def test_an_import_spreadsheet_is_served_to_nobody(client, world, spreadsheet):
    assert spreadsheet.file.name.startswith("imports/")
    for user in (world.park_admin, world.superuser):
        client.force_login(user)
        response = client.get(spreadsheet.file.url)
        assert response.status_code == 404
        assert b"330402198603010011" not in response.content


def test_the_back_office_does_not_link_the_spreadsheet(client, world, spreadsheet):
    from django.urls import reverse

    client.force_login(world.superuser)
    page = client.get(reverse("admin:dataio_importjob_change", args=[spreadsheet.pk])).content.decode()
    assert "members.xlsx" in page  # the job's file name, as uploaded
    assert spreadsheet.file.name not in page
    assert "/media/imports/" not in page
