"""The beat job that deletes the files of exports older than HONGFAN_EXPORT_KEEP_HOURS, hourly;
created once, editable afterwards in the admin under Periodic tasks."""

from django.db import migrations

NAME = "exports: delete expired export files"
TASK = "dataio.tasks.forget_expired_exports"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=every,
        description="Delete the files of large exports older than HONGFAN_EXPORT_KEEP_HOURS (personal data).",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dataio", "0007_export_job"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
