from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cswb.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from cswb.accounts.roles import sync_role_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_role_permissions")

        from django.contrib.auth.signals import user_logged_in

        from cswb.lib.middleware import mark_signed_in

        user_logged_in.connect(mark_signed_in, dispatch_uid="accounts.mark_signed_in")
