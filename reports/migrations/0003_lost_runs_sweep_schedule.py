"""The beat job that requeues jobs whose worker was killed, every 20 seconds; created once,
editable afterwards in the admin under Periodic tasks (a row already present is left as it is)."""

from django.db import migrations

NAME = "statistics reports: requeue runs lost with their worker"
TASK = "portal.tasks.requeue_lost_report_runs"


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
        description="Queue again the report runs whose worker was killed (no sign of life for HONGFAN_JOB_STALE_SECONDS); give up after HONGFAN_JOB_MAX_ATTEMPTS.",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_run_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
