"""The models of this app as they were in the portal app: same tables, nothing touched in the
database (state only), and their content types relabelled so that permissions and admin history
follow them. On a new database the portal app's own migrations create the tables first."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ['statreport', 'statreportrun']


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="reports", model=model).exists():
            ContentType.objects.filter(app_label="portal", model=model).update(app_label="reports")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="reports", model__in=MOVED).update(app_label="portal")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('portal', '0008_importrow'),
        ('parks', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='StatReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope_kind', models.CharField(choices=[('district', 'district'), ('park', 'park')], max_length=10, verbose_name='scope kind')),
                ('period_kind', models.CharField(choices=[('month', 'month'), ('quarter', 'quarter'), ('year', 'year')], max_length=10, verbose_name='period kind')),
                ('period_start', models.DateField(verbose_name='period start')),
                ('generated_at', models.DateTimeField(verbose_name='generated at')),
                ('data', models.JSONField(default=dict, verbose_name='figures')),
                ('district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='stat_reports', to='parks.district', verbose_name='district')),
                ('park', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='stat_reports', to='parks.park', verbose_name='park')),
            ],
            options={
                'verbose_name': 'statistics report',
                'verbose_name_plural': 'statistics reports',
                'db_table': 'portal_statreport',
                'ordering': ['-period_start', 'period_kind', 'scope_kind', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='StatReportRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope_kind', models.CharField(choices=[('district', 'district'), ('park', 'park')], max_length=10, verbose_name='scope kind')),
                ('period_kind', models.CharField(choices=[('month', 'month'), ('quarter', 'quarter'), ('year', 'year')], max_length=10, verbose_name='period kind')),
                ('period_start', models.DateField(verbose_name='period start')),
                ('task_id', models.CharField(blank=True, max_length=255, verbose_name='task id')),
                ('status', models.CharField(choices=[('queued', 'queued'), ('running', 'running'), ('success', 'succeeded'), ('failed', 'failed')], default='queued', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('queued_at', models.DateTimeField(auto_now_add=True, verbose_name='queued at')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('duration', models.DurationField(blank=True, null=True, verbose_name='duration')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='parks.district', verbose_name='district')),
                ('park', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='parks.park', verbose_name='park')),
                ('report', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='runs', to='reports.statreport', verbose_name='report')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'statistics report run',
                'verbose_name_plural': 'statistics report runs',
                'db_table': 'portal_statreportrun',
                'ordering': ['-queued_at', '-pk'],
            },
        ),
        migrations.AddIndex(
            model_name='statreport',
            index=models.Index(fields=['period_kind', 'period_start'], name='portal_stat_period__823ece_idx'),
        ),
        migrations.AddConstraint(
            model_name='statreport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('district__isnull', False), ('park__isnull', True), ('scope_kind', 'district')), models.Q(('district__isnull', True), ('park__isnull', False), ('scope_kind', 'park')), _connector='OR'), name='stat_report_scope_matches_kind'),
        ),
        migrations.AddConstraint(
            model_name='statreport',
            constraint=models.UniqueConstraint(condition=models.Q(('district__isnull', False)), fields=('district', 'period_kind', 'period_start'), name='stat_report_unique_district_period'),
        ),
        migrations.AddConstraint(
            model_name='statreport',
            constraint=models.UniqueConstraint(condition=models.Q(('park__isnull', False)), fields=('park', 'period_kind', 'period_start'), name='stat_report_unique_park_period'),
        ),
        migrations.AddIndex(
            model_name='statreportrun',
            index=models.Index(fields=['scope_kind', 'district', 'park', 'period_kind', 'period_start'], name='portal_stat_scope_k_ed5b05_idx'),
        ),
        migrations.AddConstraint(
            model_name='statreportrun',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('district__isnull', False), ('park__isnull', True), ('scope_kind', 'district')), models.Q(('district__isnull', True), ('park__isnull', False), ('scope_kind', 'park')), _connector='OR'), name='stat_report_run_scope_matches_kind'),
        ),
    ]

    operations = [
        migrations.RunPython(relabel_content_types, restore_content_types),
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
