"""The models of this app as they were in the portal app: same tables, nothing touched in the
database (state only), and their content types relabelled so that permissions and admin history
follow them. On a new database the portal app's own migrations create the tables first."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ['importjob', 'importrow']


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="dataio", model=model).exists():
            ContentType.objects.filter(app_label="portal", model=model).update(app_label="dataio")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="dataio", model__in=MOVED).update(app_label="portal")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('portal', '0008_importrow'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='ImportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('enterprises', 'enterprises'), ('organizations', 'organisations'), ('members', 'members'), ('attendance', 'attendance'), ('dues', 'party dues')], max_length=20, verbose_name='kind of data')),
                ('file', models.FileField(blank=True, max_length=300, upload_to='imports/%Y/%m/', verbose_name='file')),
                ('filename', models.CharField(max_length=255, verbose_name='file name')),
                ('status', models.CharField(choices=[('queued', 'waiting to be checked'), ('checking', 'being checked'), ('checked', 'checked'), ('refused', 'refused'), ('committing', 'being written'), ('committed', 'written'), ('failed', 'failed')], default='queued', max_length=20, verbose_name='status')),
                ('progress_done', models.PositiveIntegerField(default=0, verbose_name='rows done')),
                ('progress_total', models.PositiveIntegerField(default=0, verbose_name='rows in all')),
                ('dry_run_report', models.JSONField(blank=True, null=True, verbose_name='check report')),
                ('result_report', models.JSONField(blank=True, null=True, verbose_name='result report')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('task_id', models.CharField(blank=True, max_length=100, verbose_name='task id')),
                ('language', models.CharField(blank=True, max_length=10, verbose_name='language')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='uploaded at')),
                ('checked_at', models.DateTimeField(blank=True, null=True, verbose_name='checked at')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='import_jobs', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'import job',
                'verbose_name_plural': 'import jobs',
                'db_table': 'portal_importjob',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='ImportRow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField(verbose_name='position')),
                ('line', models.PositiveIntegerField(verbose_name='line')),
                ('action', models.CharField(max_length=10, verbose_name='result')),
                ('errors', models.JSONField(blank=True, default=list, verbose_name='errors')),
                ('values', models.JSONField(blank=True, default=dict, verbose_name='values')),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rows', to='dataio.importjob', verbose_name='import job')),
            ],
            options={
                'verbose_name': 'import row',
                'verbose_name_plural': 'import rows',
                'db_table': 'portal_importrow',
                'ordering': ['job', 'position'],
                'indexes': [models.Index(fields=['job', 'position'], name='portal_impo_job_id_f15340_idx'), models.Index(fields=['job', 'action', 'position'], name='portal_impo_job_id_d5a49a_idx')],
            },
        ),
    ]

    operations = [
        migrations.RunPython(relabel_content_types, restore_content_types),
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
