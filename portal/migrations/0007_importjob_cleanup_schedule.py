"""The daily beat job that deletes the spreadsheets of imports left unconfirmed (they hold plain
personal data); created once, editable afterwards in the admin under Periodic tasks."""

from django.db import migrations

NAME = "imports: forget unconfirmed files"
TASK = "portal.tasks.forget_stale_import_files"


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
        description="Delete the uploaded spreadsheets of import jobs left unconfirmed for IMPORT_KEEP_DAYS.",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_importjob"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
