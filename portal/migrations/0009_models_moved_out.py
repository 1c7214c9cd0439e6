"""The portal app is the shell only: its models now live in accounts, notifications, reports and
dataio, with the same tables. State only: no table is dropped."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('notifications', '0001_initial'),
        ('reports', '0001_initial'),
        ('dataio', '0001_initial'),
        ('portal', '0008_importrow'),
    ]

    state_operations = [
        migrations.RemoveField(
            model_name='importjob',
            name='user',
        ),
        migrations.RemoveField(
            model_name='importrow',
            name='job',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='recipient',
        ),
        migrations.RemoveField(
            model_name='roleassignment',
            name='district',
        ),
        migrations.RemoveField(
            model_name='roleassignment',
            name='organization',
        ),
        migrations.RemoveField(
            model_name='roleassignment',
            name='park',
        ),
        migrations.RemoveField(
            model_name='roleassignment',
            name='user',
        ),
        migrations.RemoveField(
            model_name='statreport',
            name='district',
        ),
        migrations.RemoveField(
            model_name='statreport',
            name='park',
        ),
        migrations.RemoveField(
            model_name='statreportrun',
            name='report',
        ),
        migrations.RemoveField(
            model_name='statreportrun',
            name='district',
        ),
        migrations.RemoveField(
            model_name='statreportrun',
            name='park',
        ),
        migrations.RemoveField(
            model_name='statreportrun',
            name='requested_by',
        ),
        migrations.DeleteModel(
            name='HistoricalRoleAssignment',
        ),
        migrations.DeleteModel(
            name='ImportJob',
        ),
        migrations.DeleteModel(
            name='ImportRow',
        ),
        migrations.DeleteModel(
            name='Notification',
        ),
        migrations.DeleteModel(
            name='RoleAssignment',
        ),
        migrations.DeleteModel(
            name='StatReport',
        ),
        migrations.DeleteModel(
            name='StatReportRun',
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
