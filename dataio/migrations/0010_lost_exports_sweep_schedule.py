"""The beat job that queues again the exports whose worker was killed, every 20 seconds; created
once, editable afterwards in the admin under Periodic tasks (a row already present is left as it is)."""

from django.db import migrations

NAME = "exports: requeue exports lost with their worker"
TASK = "dataio.tasks.requeue_lost_export_jobs"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    every, _ = IntervalSchedule.objects.get_or_create(every=20, period="seconds")
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=every,
        description="Queue again the large exports whose worker stopped beating; fail them after HONGFAN_JOB_MAX_ATTEMPTS.",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dataio", "0009_export_job_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
