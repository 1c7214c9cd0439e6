"""Keep ``User.is_staff`` in step with the roles: a park administrator (or a superuser) is staff.

One place for the rule, whatever creates or removes the assignment (admin, import, shell, seed).
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Role, RoleAssignment
from core.scope import forget_scope


def sync_staff(user_id) -> None:
    """Set ``is_staff`` to "is a superuser or holds a PARK_ADMIN assignment" for one user."""
    User = get_user_model()
    user = User.objects.filter(pk=user_id).only("pk", "is_staff", "is_superuser").first()
    if user is None:
        return
    wanted = user.is_superuser or RoleAssignment.objects.filter(user_id=user_id, role=Role.PARK_ADMIN).exists()
    if user.is_staff != wanted:
        User.objects.filter(pk=user_id).update(is_staff=wanted)


@receiver(post_save, sender=RoleAssignment, dispatch_uid="portal_role_assignment_saved")
def role_assignment_saved(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: the fixture carries the users as they are
        return
    sync_staff(instance.user_id)
    if RoleAssignment.user.is_cached(instance):  # a cached scope on that user object is stale now
        forget_scope(instance.user)


@receiver(post_delete, sender=RoleAssignment, dispatch_uid="portal_role_assignment_deleted")
def role_assignment_deleted(sender, instance, **kwargs):
    sync_staff(instance.user_id)
