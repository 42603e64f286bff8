"""Admin pieces every app shares."""


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
