"""The models of this app as they were in the portal app: same tables, nothing touched in the
database (state only), and their content types relabelled so that permissions and admin history
follow them. On a new database the portal app's own migrations create the tables first."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ['notification']


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="notifications", model=model).exists():
            ContentType.objects.filter(app_label="portal", model=model).update(app_label="notifications")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="notifications", model__in=MOVED).update(app_label="portal")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('portal', '0008_importrow'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('body', models.TextField(blank=True, verbose_name='message')),
                ('url', models.CharField(blank=True, max_length=300, verbose_name='link')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='sent at')),
                ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read at')),
                ('emailed_at', models.DateTimeField(blank=True, null=True, verbose_name='e-mailed at')),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
            ],
            options={
                'verbose_name': 'notification',
                'verbose_name_plural': 'notifications',
                'db_table': 'portal_notification',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['recipient', 'read_at'], name='portal_noti_recipie_4aa419_idx')],
            },
        ),
    ]

    operations = [
        migrations.RunPython(relabel_content_types, restore_content_types),
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
    ]
