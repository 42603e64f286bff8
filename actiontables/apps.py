from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActiontablesConfig(AppConfig):
    name = "actiontables"
    verbose_name = _("Action tables")
