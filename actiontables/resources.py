"""Spreadsheet import and export (django-import-export) of organizations and action tables."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from actiontables.models import ActionTable, ActionTableLead, Organization, Zone
from cswb.lib.exports import EscapedExportMixin

LIST_SEPARATOR = ";"


class SafeExportMixin(EscapedExportMixin):
    """Escape formula-like cells on export; import all rows or none.

    The admin already rolls back an import with invalid rows; the default here makes any other
    caller (a shell, a command) do the same, so a file is never half-imported.
    """

    def import_data(self, dataset, *args, rollback_on_validation_errors=True, **kwargs):
        return super().import_data(
            dataset, *args, rollback_on_validation_errors=rollback_on_validation_errors, **kwargs
        )


class OrganizationResource(SafeExportMixin, resources.ModelResource):
    class Meta:
        model = Organization
        fields = ("name", "short_name", "sector", "website", "active")
        export_order = fields
        import_id_fields = ("name",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class ZoneCodeWidget(widgets.ManyToManyWidget):
    """Read and write zones by their codes, e.g. ``prevention;risk-intervention``."""

    def __init__(self):
        super().__init__(Zone, separator=LIST_SEPARATOR, field="code")

    def clean(self, value, row=None, **kwargs):
        codes = [code.strip() for code in str(value or "").split(LIST_SEPARATOR) if code.strip()]
        unknown = sorted(set(codes) - set(Zone.Code.values))
        if unknown:
            raise ValueError(
                _("Unknown zone %(codes)s. Use %(allowed)s, separated by “;”.")
                % {"codes": ", ".join(unknown), "allowed": ", ".join(Zone.Code.values)}
            )
        return Zone.objects.filter(code__in=codes)


class ActionTableResource(SafeExportMixin, resources.ModelResource):
    """One row per table; ``leads`` names the lead organizations in order, separated by “;”."""

    zones = fields.Field(attribute="zones", column_name="zones", widget=ZoneCodeWidget())
    leads = fields.Field(column_name="leads")

    class Meta:
        model = ActionTable
        fields = (
            "name", "slug", "status", "summary", "priority_issue", "zones", "leads",
            "convened_on", "sunset_on", "reconvened_on", "contact_email",
        )
        export_order = fields
        import_id_fields = ("slug",)
        clean_model_instances = True

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).prefetch_related("zones", "leads__organization")

    def dehydrate_leads(self, table):
        return f"{LIST_SEPARATOR} ".join(lead.organization.name for lead in table.leads.all())

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        try:
            instance._import_leads = self._read_leads(row.get("leads"))
        except ValidationError as exc:
            errors["leads"] = exc
        # Many-to-many cells are read only after saving; check the zones now so that a bad
        # zone is reported next to the row's other problems.
        if "zones" in row:
            try:
                self.fields["zones"].clean(row)
            except ValueError as exc:
                errors["zones"] = ValidationError(str(exc), code="bad_zone")
        if errors:
            raise ValidationError(errors)

    def _read_leads(self, value) -> list[Organization]:
        names = [name.strip() for name in str(value or "").split(LIST_SEPARATOR) if name.strip()]
        if not names:
            raise ValidationError(
                _("Name at least one lead organization in the “leads” column."), code="no_lead"
            )
        found, problems = [], []
        for name in names:
            matches = list(
                Organization.objects.filter(Q(name__iexact=name) | Q(short_name__iexact=name))[:2]
            )
            if len(matches) != 1:
                problems.append(
                    _("“%(name)s” matches no organization; add it first or correct the name.")
                    % {"name": name}
                    if not matches
                    else _("“%(name)s” matches more than one organization; use its full name.")
                    % {"name": name}
                )
            elif not matches[0].active:
                problems.append(
                    _("%(name)s is inactive and cannot lead a table.") % {"name": matches[0].name}
                )
            elif matches[0] in found:
                problems.append(_("%(name)s is named twice.") % {"name": matches[0].name})
            else:
                found.append(matches[0])
        if problems:
            raise ValidationError(" ".join(problems), code="bad_lead")
        return found

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        if not (self._is_using_transactions(kwargs) or not self._is_dry_run(kwargs)):
            return
        leads = getattr(instance, "_import_leads", None)
        if leads is None:
            return
        current = [lead.organization_id for lead in instance.leads.all()]
        if current == [org.pk for org in leads]:
            return
        instance.leads.all().delete()
        ActionTableLead.objects.bulk_create(
            ActionTableLead(table=instance, organization=org, order=position)
            for position, org in enumerate(leads, start=1)
        )
