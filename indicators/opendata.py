"""Describe the open data for catalogue software: the columns (one list, used by the data
dictionary page, the Frictionless table schema and the CSV), a DCAT-US 1.1 catalogue and a
Frictionless data package. Pure functions of the indicators they are given: no queries here
beyond the ones the docstrings name."""

from django.conf import settings
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import Domain, Geography, Indicator, Observation
from indicators.vocabulary import Licence

DCAT_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
PERIOD_PATTERN = r"\d{4}(-\d{4})?"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def columns() -> list[dict]:
    """Return each open-data column: name, Table Schema type and constraints, and a description.

    Reads the domains and geographies (two queries) for the enumerations.
    """
    domains = list(Domain.objects.values_list("slug", flat=True))
    places = list(Geography.objects.values_list("slug", flat=True))
    required = {"required": True}
    described = [
        ("indicator", "string", required, _("The indicator's identifier (its slug).")),
        ("indicator_name", "string", required, _("The indicator's name.")),
        ("domain", "string", {**required, "enum": domains},
         _("The framework domain: health, safety or community well-being.")),
        ("geography", "string", {**required, "enum": places},
         _("The place: Ontario, Halton Region or one of its four municipalities.")),
        ("geography_code", "string", required,
         _("Statistics Canada's Standard Geographical Classification code of the place.")),
        ("geography_name", "string", required, _("The place's name.")),
        ("period", "string", {**required, "pattern": PERIOD_PATTERN},
         _("The year (2021) or span of years (2017-2018) the figure describes.")),
        ("period_start", "year", required, _("The first year of the period.")),
        ("period_end", "year", required, _("The last year of the period.")),
        ("value", "number", {},
         _("The figure, in the unit given; empty when it is suppressed or not available.")),
        ("unit", "string", {**required, "enum": list(Indicator.Unit.values)},
         _("The unit: percent, rate_1000, rate_100000, count, index or dollars.")),
        ("status", "string", {**required, "enum": list(Observation.Status.values)},
         _("final, preliminary, suppressed (withheld by the publisher, e.g. Statistics "
           "Canada's x and F) or not_available (Statistics Canada's ..).")),
        ("ci_low", "number", {}, _("The low end of the 95% confidence interval, if any.")),
        ("ci_high", "number", {}, _("The high end of the 95% confidence interval, if any.")),
        ("note", "string", {}, _("A note on this figure (e.g. use with caution).")),
        ("sample_data", "boolean", required,
         _("yes for a demonstration series (generated figures, not official statistics), else "
           "no.")),
        ("licence", "string", {}, _("The licence the publisher gives the figures under.")),
        ("citation", "string", {},
         _("How to cite the source, with the table number and DOI where there is one.")),
        ("source_url", "string", {}, _("Where the publisher publishes the figures.")),
        ("last_updated", "date", {}, _("When the indicator's figures last changed here.")),
    ]
    result = []
    for name, kind, constraints, description in described:
        field = {"name": name, "type": kind, "description": str(description)}
        if constraints:
            field["constraints"] = constraints
        if kind == "boolean":
            field.update(trueValues=["yes"], falseValues=["no"])
        if name == "source_url":
            field["format"] = "uri"
        result.append(field)
    return result


def table_schema(fields: list[dict]) -> dict:
    return {
        "fields": fields,
        "missingValues": [""],
        "primaryKey": ["indicator", "geography", "period"],
    }


def indicator_licence(indicator: Indicator) -> dict:
    """Return the licence as a data package states one: its title and where to read it (the
    indicator's page, which quotes the publisher's terms, when there is no licence text)."""
    return {
        "title": indicator.licence_text or _("Not stated by the publisher"),
        "path": indicator.licence_url
        or absolute(indicator.get_absolute_url()) + "#about-heading",
    }


def periods(indicators) -> dict[int, tuple[int, int]]:
    """Return each indicator's first and last year (one query)."""
    rows = (Observation.objects.filter(indicator__in=list(indicators)).values("indicator_id")
            .annotate(first=Min("period_start"), last=Max("period_end")))
    return {row["indicator_id"]: (row["first"], row["last"]) for row in rows}


def _modified(indicator: Indicator) -> str:
    moment = indicator.data_updated_at or indicator.updated_at
    return timezone.localdate(moment).isoformat() if moment else timezone.localdate().isoformat()


def dcat_catalog(indicators: list[Indicator]) -> dict:
    """Return a DCAT-US 1.1 catalogue: one dataset per indicator and one for all of them.

    ``indicators`` come with their domain and remote sources; one query for their periods.
    """
    spans = periods(indicators)
    publisher = {"@type": "org:Organization", "name": settings.OPEN_DATA_PUBLISHER}
    contact = {"@type": "vcard:Contact", "fn": settings.SITE_NAME,
               "hasEmail": f"mailto:{settings.OPEN_DATA_CONTACT_EMAIL}"}
    dictionary = absolute(reverse("indicators:data_dictionary"))
    spatial = "Halton Region, Ontario, Canada"
    datasets = []
    for indicator in indicators:
        page = absolute(indicator.get_absolute_url())
        dataset = {
            "@type": "dcat:Dataset",
            "title": indicator.name,
            "description": indicator.definition or indicator.name,
            "keyword": sorted({indicator.domain.name, _("community safety and well-being"),
                               *([str(indicator.get_zone_display())] if indicator.zone
                                 else [])}),
            "modified": _modified(indicator),
            "publisher": publisher,
            "contactPoint": contact,
            "identifier": page,
            "accessLevel": "public",
            "landingPage": page,
            "spatial": spatial,
            "theme": [indicator.domain.name],
            "describedBy": dictionary,
            "describedByType": "text/html",
            "distribution": [
                {"@type": "dcat:Distribution", "title": _("CSV"), "format": "CSV",
                 "mediaType": "text/csv",
                 "downloadURL": absolute(reverse("indicators:indicator_csv",
                                                 args=[indicator.slug]))},
                {"@type": "dcat:Distribution", "title": _("JSON"), "format": "JSON",
                 "mediaType": "application/json",
                 "downloadURL": absolute(reverse("indicators:indicator_json",
                                                 args=[indicator.slug]))},
            ],
        }
        if indicator.licence_url:
            dataset["license"] = indicator.licence_url
        elif indicator.licence_text:
            dataset["rights"] = indicator.licence_text
        if indicator.id in spans:
            first, last = spans[indicator.id]
            dataset["temporal"] = f"{first}-01-01/{last}-12-31"
        automatic = any(s.layout in s.WDS_LAYOUTS for s in indicator.remote_sources.all())
        dataset["accrualPeriodicity"] = "R/P1Y" if automatic else "irregular"
        references = [indicator.source_url] if indicator.source_url else []
        dataset["references"] = references
        if indicator.is_demo:
            dataset["description"] += " " + _("Demonstration data: not official statistics.")
        datasets.append(dataset)
    everything = {
        "@type": "dcat:Dataset",
        "title": _("Halton Community Safety and Well-Being indicators"),
        "description": _("Every published indicator of the Halton Community Safety and "
                         "Well-Being dashboard, for Halton Region, its four municipalities and "
                         "Ontario, with units, statuses, confidence intervals, licences and "
                         "sources."),
        "keyword": [_("community safety and well-being"), _("health"), _("safety"),
                    _("Halton Region")],
        "modified": max((_modified(i) for i in indicators),
                        default=timezone.localdate().isoformat()),
        "publisher": publisher,
        "contactPoint": contact,
        "identifier": absolute(reverse("indicators:overview")),
        "accessLevel": "public",
        "landingPage": absolute(reverse("indicators:overview")),
        "spatial": spatial,
        "rights": _("Each indicator carries its own licence: see the licence column."),
        "describedBy": absolute(reverse("indicators:datapackage")),
        "describedByType": "application/json",
        "accrualPeriodicity": "R/P1D",
        "distribution": [
            {"@type": "dcat:Distribution", "title": _("CSV"), "format": "CSV",
             "mediaType": "text/csv",
             "downloadURL": absolute(reverse("indicators:dataset_csv"))},
            {"@type": "dcat:Distribution", "title": _("JSON"), "format": "JSON",
             "mediaType": "application/json",
             "downloadURL": absolute(reverse("indicators:dataset_json"))},
        ],
    }
    return {
        "@context": f"{DCAT_SCHEMA}/catalog.jsonld",
        "@id": absolute(reverse("data_json")),
        "@type": "dcat:Catalog",
        "conformsTo": DCAT_SCHEMA,
        "describedBy": f"{DCAT_SCHEMA}/catalog.json",
        "dataset": [everything, *datasets],
    }


def data_package(indicators: list[Indicator]) -> dict:
    """Return a Frictionless data package whose resources are the open-data CSVs.

    ``indicators`` come with their domain and remote sources; two queries for the columns.
    """
    schema = table_schema(columns())
    licences, sources = {}, {}
    for indicator in indicators:
        licence = indicator_licence(indicator)
        licences[licence.get("path", licence["title"])] = licence
        for citation in indicator.citations():
            sources[citation] = {"title": citation[:300]}
        if indicator.source_url:
            sources.setdefault(indicator.source_url, {"title": indicator.source_name
                                                      or indicator.source_url,
                                                      "path": indicator.source_url})

    def resource(name, title, path, licence=None):
        item = {"name": name, "title": title, "path": path, "format": "csv",
                "mediatype": "text/csv", "encoding": "utf-8-sig",
                "profile": "tabular-data-resource", "schema": schema}
        if licence:
            item["licenses"] = [licence]
        return item

    resources = [resource("halton-cswb-indicators", _("All published indicators"),
                          "indicators.csv")]
    for indicator in indicators:
        resources.append(resource(
            indicator.slug, indicator.name,
            absolute(reverse("indicators:indicator_csv", args=[indicator.slug])),
            indicator_licence(indicator),
        ))
    return {
        "profile": "tabular-data-package",
        "name": "halton-cswb-indicators",
        "title": _("Halton Community Safety and Well-Being indicators"),
        "description": _("The indicators of Halton Region's Community Safety and Well-Being "
                         "plan, for the region, its four municipalities and Ontario."),
        "homepage": absolute(reverse("indicators:overview")),
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "keywords": ["community safety and well-being", "Halton Region", "Ontario"],
        "contributors": [{"title": settings.OPEN_DATA_PUBLISHER, "role": "publisher",
                          "email": settings.OPEN_DATA_CONTACT_EMAIL}],
        "licenses": list(licences.values()) or [{
            "title": str(Licence.PUBLISHER.label),
            "path": absolute(reverse("indicators:data_dictionary")),
        }],
        "sources": list(sources.values()),
        "resources": resources,
    }

