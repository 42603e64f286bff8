from django.contrib.auth.models import Group, Permission

from cswb.accounts.roles import Role, declared_role_permissions, sync_role_permissions


def test_every_role_exists_as_a_group(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


def test_administrators_hold_every_permission(db):
    admins = Group.objects.get(name=Role.ADMINISTRATOR)
    assert admins.permissions.count() == Permission.objects.count()


def test_other_roles_hold_exactly_what_the_apps_declare(db):
    sync_role_permissions()
    declared = declared_role_permissions()
    for role in Role:
        if role == Role.ADMINISTRATOR:
            continue
        group = Group.objects.get(name=role)
        held = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == declared[role.value], role


def test_has_role_follows_groups_and_activity(cswb_admin, outsider_user):
    assert cswb_admin.has_role(Role.ADMINISTRATOR)
    assert not outsider_user.has_role(Role.ADMINISTRATOR)
    cswb_admin.is_active = False
    assert not cswb_admin.has_role(Role.ADMINISTRATOR)
