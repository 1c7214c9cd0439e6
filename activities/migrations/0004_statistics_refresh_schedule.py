"""The nightly rebuild of the statistics summary, created once; editable afterwards in the admin.

It runs at 02:30 Beijing time, before the statistics reports (portal migration 0005); a row
already present (e.g. edited by an operator) is left as it is.
"""

from django.db import migrations

NAME = "statistics summary: nightly refresh"
TASK = "activities.tasks.refresh_statistics_summaries"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_month="*", month_of_year="*", day_of_week="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        crontab=crontab,
        description="Rebuild the per-organisation monthly statistics summary from the activity and attendance rows.",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_organizationmonth"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
