"""News feeds (Atom, and RSS) of published progress updates, for all tables and for each table."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from actiontables.models import ActionTable, ProgressUpdate
from cswb.lib.feeds import PortalFeed, html_text

FEED_ITEMS = 30


class UpdatesFeed(PortalFeed):
    feed_name = "actiontables/updates"
    entry_name = "actiontables/update"

    def title(self):
        return _("Action table updates · Halton CSWB")

    def subtitle(self):
        return _("Progress reported by the action tables of Halton's Community Safety and "
                 "Well-Being plan.")

    description = subtitle  # RSS calls it so

    def link(self):
        return reverse("actiontables:index")

    def items(self):
        return (
            ProgressUpdate.objects.published()
            .exclude(table__status=ActionTable.Status.FORMING)
            .select_related("table")
            .order_by("-date", "-pk")[:FEED_ITEMS]
        )

    def item_title(self, item):
        return f"{item.table.name}: {item.title}"

    def item_description(self, item):
        outcomes = item.outcome_lines()
        return html_text(item.body, _("Outcomes:") if outcomes else "", items=outcomes)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.table.name]


class TableUpdatesFeed(UpdatesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(ActionTable.objects.public(), slug=slug)

    def title(self, obj):
        return _("%(table)s: updates · Halton CSWB") % {"table": obj.name}

    def subtitle(self, obj):
        return obj.summary

    description = subtitle

    def link(self, obj):
        return obj.get_absolute_url()

    def items(self, obj):
        return (
            ProgressUpdate.objects.published()
            .filter(table=obj)
            .select_related("table")
            .order_by("-date", "-pk")[:FEED_ITEMS]
        )
