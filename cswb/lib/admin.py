"""Admin pieces every app shares."""

from django.core.exceptions import ValidationError


class SlugFixedAfterCreationMixin:
    """Offer the slug (filled from the name) when an object is created, then show it read-only.

    A slug is part of public addresses and links already sent: changing it later breaks them, so
    nobody has to edit one after creation.
    """

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and "slug" not in fields:
            fields += ("slug",)
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None:
            return {}
        return super().get_prepopulated_fields(request, obj)


def add_refusal(form, exc: ValidationError) -> None:
    """Put a service's refusal next to the field it is about, or at the top of ``form``."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ServiceRefusalMixin:
    """Show a refusal raised while saving a change form (a service's ``ValidationError``) on
    the form, with everything typed, instead of a server error.

    The admin saves inside one transaction: the refusal rolls back whatever the save did
    (queued emails included, they wait for the commit). The form is then validated again with
    the refusal as its error, so the page comes back as typed, with no success message and no
    entry in the change history. A ``ValidationError`` with a dict names the fields.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            if request.method != "POST" or hasattr(request, "admin_refusal"):
                raise
            request.admin_refusal = exc
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "admin_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                add_refusal(self, refusal)
                return cleaned

        return RefusedForm
