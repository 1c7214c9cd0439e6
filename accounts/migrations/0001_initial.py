"""The models of this app as they were in the portal app: same tables, nothing touched in the
database (state only), and their content types relabelled so that permissions and admin history
follow them. On a new database the portal app's own migrations create the tables first."""
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MOVED = ['roleassignment', 'historicalroleassignment']


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="accounts", model=model).exists():
            ContentType.objects.filter(app_label="portal", model=model).update(app_label="accounts")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="accounts", model__in=MOVED).update(app_label="portal")


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
            name='HistoricalRoleAssignment',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('role', models.CharField(choices=[('district_official', 'district official'), ('park_admin', 'park administrator'), ('branch_secretary', 'branch secretary'), ('service_staff', 'service staff')], max_length=30, verbose_name='role')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='assigned at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('district', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='parks.district', verbose_name='district')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='parks.organization', verbose_name='organisation')),
                ('park', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='parks.park', verbose_name='park')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'historical role assignment',
                'verbose_name_plural': 'historical role assignments',
                'db_table': 'portal_historicalroleassignment',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='RoleAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('district_official', 'district official'), ('park_admin', 'park administrator'), ('branch_secretary', 'branch secretary'), ('service_staff', 'service staff')], max_length=30, verbose_name='role')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='assigned at')),
                ('district', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='parks.district', verbose_name='district')),
                ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='parks.organization', verbose_name='organisation')),
                ('park', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='parks.park', verbose_name='park')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='role_assignments', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'role assignment',
                'verbose_name_plural': 'role assignments',
                'db_table': 'portal_roleassignment',
                'ordering': ['user', 'role'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('district__isnull', False), ('organization__isnull', True), ('park__isnull', True), ('role', 'district_official')), models.Q(('district__isnull', True), ('organization__isnull', True), ('park__isnull', False), ('role__in', ['park_admin', 'service_staff'])), models.Q(('district__isnull', True), ('organization__isnull', False), ('park__isnull', True), ('role', 'branch_secretary')), _connector='OR'), name='role_assignment_scope_matches_role'), models.UniqueConstraint(condition=models.Q(('district__isnull', False)), fields=('user', 'role', 'district'), name='role_assignment_unique_district'), models.UniqueConstraint(condition=models.Q(('park__isnull', False)), fields=('user', 'role', 'park'), name='role_assignment_unique_park'), models.UniqueConstraint(condition=models.Q(('organization__isnull', False)), fields=('user', 'role', 'organization'), name='role_assignment_unique_organization')],
            },
        ),
    ]

    operations = [
        migrations.RunPython(relabel_content_types, restore_content_types),
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
