"""The beat schedule of the statistics reports, created once; editable afterwards in the admin.

django-celery-beat's DatabaseScheduler reads these rows, so whoever runs `migrate` (``make run``,
the web container's entry point, the test database) gets the schedule. Times are Beijing time,
after the nightly refresh of the summary tables; a row already present (e.g. edited by an
operator) is left as it is.
"""

from django.db import migrations

TASK = "portal.tasks.build_periodic_reports"
# name, (minute, hour, day of month, month of year), period kind
SCHEDULES = [
    ("statistics reports: monthly", ("0", "3", "1", "*"), "month"),
    ("statistics reports: quarterly", ("20", "3", "1", "1,4,7,10"), "quarter"),
    ("statistics reports: yearly", ("40", "3", "1", "1"), "year"),
]


def create_schedule(apps, schema_editor):
    import json

    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (minute, hour, day_of_month, month_of_year), kind in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
            day_of_week="*", timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.create(
            name=name, task=TASK, crontab=crontab, kwargs=json.dumps({"period_kind": kind}),
            description=f"Build the {kind} statistics report of every district and park for the {kind} just ended.",
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_statreport"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
