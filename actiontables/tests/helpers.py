"""Build admin POST data from the page the admin rendered, as a browser would send it back."""


def _field_data(bound_field):
    value = bound_field.value()
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def _form_data(form, data):
    for bound_field in form:
        value = _field_data(bound_field)
        if value is not None:
            data[bound_field.html_name] = value


def admin_form_data(response) -> dict:
    """Return the change form and its inlines' existing rows, without the blank extra rows."""
    data = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms = formset.initial_forms
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(forms))
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(len(forms))
        data[f"{formset.prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{formset.prefix}-MAX_NUM_FORMS"] = "1000"
        for form in forms:
            _form_data(form, data)
    return data


def add_inline_row(data: dict, prefix: str, **fields) -> dict:
    """Append one new row to the ``prefix`` inline in ``data``."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    return data
