"""A large export in a real browser: the page offers to prepare the file, the job's page shows the
progress bar polling and then the download link."""

from .conftest import DESKTOP, PHONE, login, screenshot
from .test_import import world_committed  # noqa: F401 - the fixture


def test_a_large_export_is_prepared_then_downloaded(new_page, world_committed, settings):  # noqa: F811
    settings.HONGFAN_EXPORT_SYNC_ROWS = 1
    page = new_page(viewport=PHONE)
    login(page, "parkadmin")
    page.goto("/imports/export/members/?format=csv")
    page.wait_for_selector("#start-export")
    screenshot(page, "export-large-parkadmin-phone")
    page.click("#start-export")
    page.wait_for_selector("#download-export")
    assert "100%" in page.inner_text("body")
    screenshot(page, "export-ready-parkadmin-phone")
    with page.expect_download() as info:
        page.click("#download-export")
    assert info.value.suggested_filename.endswith(".csv")


def test_the_export_progress_bar_polls(new_page, world_committed):  # noqa: F811
    from django.core.cache import caches

    from dataio import export_jobs
    from dataio.models import ExportJob

    job = ExportJob.objects.create(
        user=world_committed.park_admin, kind="attendance", file_format="xlsx", status="running", progress_total=90000
    )
    cache = caches["progress"] if "progress" in settings_caches() else caches["default"]
    cache.set(export_jobs.progress_key(job.pk), (12000, 90000))
    page = new_page(viewport=DESKTOP)
    login(page, "parkadmin")
    page.goto(f"/imports/exports/{job.pk}/")
    page.wait_for_selector("#export-progress")
    cache.set(export_jobs.progress_key(job.pk), (45000, 90000))
    page.wait_for_function("document.querySelector('#progress-count').textContent.includes('45000')")
    screenshot(page, "export-progress-parkadmin")


def settings_caches():
    from django.conf import settings

    return settings.CACHES
