"""The public dashboard and its open data. Every page reads precomputed summaries, runs a fixed
number of queries, answers conditional requests and is kept in the shared cache until the data
changes (see ``dashboard_page``)."""

import csv
import gzip
import hashlib
import io
import json
from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from cswb.lib.exports import escape_cell
from cswb.lib.pagecache import (
    cache_query,
    compact,
    get_page,
    one_of,
    put_page,
    shareable,
    slug_value,
)
from indicators.models import Domain, Geography, Indicator, Observation, RemoteSource, Zone
from indicators.opendata import columns, data_package, dcat_catalog
from indicators.services import dashboard_last_modified, dashboard_version
from indicators.vocabulary import DATA_COLUMNS

PAGE_TIMEOUT = 60 * 60
BROWSER_MAX_AGE = 60
# Smaller files gain nothing from compression.
GZIP_MIN_BYTES = 512


def _version(request) -> str:
    """Return the dashboard's version, read from the cache once per request."""
    if not hasattr(request, "_dashboard_version"):
        request._dashboard_version = dashboard_version()
    return request._dashboard_version


def _accepts_gzip(request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _last_modified(request, *args, **kwargs):
    return dashboard_last_modified(_version(request))


KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "Content-Encoding",
                "Vary", "Access-Control-Allow-Origin", "Link")


def _cached_page(view, *, query: dict | None, open_data: bool):
    def etag(request, *args, **kwargs):
        normalized = cache_query(request, query)
        where = f"{request.path}?{request.GET.urlencode() if normalized is None else normalized}"
        path = hashlib.md5(where.encode(), usedforsecurity=False).hexdigest()[:12]
        tag = f"{_version(request)}-{path}"
        if open_data:
            # A compressed and an uncompressed copy are different representations.
            tag += "-gz" if _accepts_gzip(request) else "-id"
        return tag

    @wraps(view)
    def cached(request, *args, **kwargs):
        shared = shareable(request) and cache_query(request, query) is not None
        key = f"indicators:page:{etag(request)}"
        if shared:
            hit = get_page(key)
            if hit is not None:
                content, headers = hit
                response = HttpResponse(content)
                for name, value in headers.items():
                    response[name] = value
                return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response.render()
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
            response.content = compact(response.content, response.get("Content-Type", ""))
            if open_data:
                # Catalogues and other sites' scripts may read the open data.
                response["Access-Control-Allow-Origin"] = "*"
                patch_vary_headers(response, ["Accept-Encoding"])
                if _accepts_gzip(request) and len(response.content) > GZIP_MIN_BYTES:
                    # Compressed once, then served from the cache as it is.
                    response.content = gzip.compress(response.content, compresslevel=6)
                    response["Content-Encoding"] = "gzip"
            ttl = getattr(response, "cache_ttl", PAGE_TIMEOUT)
            if shared and ttl > 0:
                headers = {name: response[name] for name in KEPT_HEADERS
                           if response.has_header(name)}
                put_page(key, (response.content, headers), len(response.content), ttl)
        return response

    return require_safe(condition(etag_func=etag, last_modified_func=_last_modified)(cached))


def dashboard_page(view=None, *, query: dict | None = None):
    """Serve the view from the shared cache while the dashboard's version is unchanged.

    Anonymous visitors share the cached copy; a visitor with a session (staff) or with flash
    messages waiting always gets a fresh render, so no per-user content is ever cached. ETag
    and Last-Modified let browsers and proxies revalidate for free. As with ``public_page``,
    ``query`` names the parameters the page understands; any other keeps the page out of the
    cache, and so does ``response.cache_ttl = 0``. The version comes from the database when
    Redis is away, so the copies this process keeps stay right without it.
    """
    if view is None:
        return lambda view: dashboard_page(view, query=query)
    return _cached_page(view, query=query, open_data=False)


def open_data_file(view):
    """``dashboard_page`` for the open-data files: also compressed (gzip) for clients that
    accept it, and readable from any origin (CORS)."""
    return _cached_page(view, query=None, open_data=True)


def _published_indicators():
    return (
        Indicator.objects.published()
        .select_related("domain", "summary")
        .order_by("domain__order", "domain__name", "order", "name")
    )


def _described_indicators():
    """Published indicators with what their metadata reads (domain, sources). Two queries."""
    return list(_published_indicators().prefetch_related("remote_sources"))


def _group_by_domain(domains, indicators):
    groups = {domain.pk: (domain, []) for domain in domains}
    for indicator in indicators:
        if indicator.domain_id in groups:
            groups[indicator.domain_id][1].append(indicator)
    return [group for group in groups.values() if group[1]]


@dashboard_page(query={"domain": slug_value, "zone": one_of(*Zone.values)})
def overview(request):
    """Show every published indicator by domain, filtered by domain and zone. Three queries."""
    domains = list(Domain.objects.all())
    domain_slug = request.GET.get("domain", "")
    zone = request.GET.get("zone", "")
    errors = []
    if domain_slug and domain_slug not in {d.slug for d in domains}:
        errors.append(_("There is no domain “%(d)s”; showing all domains.") % {"d": domain_slug})
        domain_slug = ""
    if zone and zone not in Zone.values:
        errors.append(_("There is no zone “%(z)s”; showing all zones.") % {"z": zone})
        zone = ""
    indicators = _published_indicators()
    if domain_slug:
        indicators = indicators.filter(domain__slug=domain_slug)
    if zone:
        indicators = indicators.filter(zone=zone)
    indicators = list(indicators)
    summaries = [(i, getattr(i, "summary", None)) for i in indicators]
    response = render(request, "indicators/overview.html", {
        "doing_well": [i for i, s in summaries if s and s.comparison == "better"],
        "room_to_improve": [i for i, s in summaries if s and s.comparison == "worse"],
        "groups": _group_by_domain(domains, indicators),
        "domains": domains,
        "municipalities": list(Geography.objects.municipalities()),
        "zones": Zone.choices,
        "selected_domain": domain_slug,
        "selected_zone": zone,
        "filtered": bool(domain_slug or zone),
        "filter_errors": errors,
        "has_demo": any(i.is_demo for i in indicators),
        "count": len(indicators),
    })
    if errors:
        response.cache_ttl = 0  # a made-up domain or zone is answered, not kept
    return response


@dashboard_page
def domain(request, slug):
    """Show one domain's indicators. Two queries."""
    domain = get_object_or_404(Domain, slug=slug)
    indicators = list(_published_indicators().filter(domain=domain))
    return render(request, "indicators/domain.html", {
        "domain": domain,
        "indicators": indicators,
        "has_demo": any(i.is_demo for i in indicators),
    })


def _series_table(indicator, geographies, observations):
    """Return periods (oldest first) and, for each, the observation per geography (or None)."""
    periods = {}
    for obs in observations:
        periods.setdefault((obs.period_end, obs.period_start, obs.period), {})[
            obs.geography_id
        ] = obs
    rows = []
    for (end, start, label), by_geo in sorted(periods.items()):
        rows.append({"period": label, "x": (start + end) / 2,
                     "cells": [by_geo.get(g.pk) for g in geographies]})
    return rows


def _latest_comparison(geographies, observations):
    """Return the latest period with a figure and, for the four municipalities, the region and
    Ontario in that order, each place's observation for it (or None)."""
    with_value = [obs for obs in observations if obs.value is not None]
    if not with_value:
        return "", []
    latest = max(with_value, key=lambda obs: (obs.period_end, obs.period_start))
    level_order = {Geography.Level.MUNICIPALITY: 0, Geography.Level.REGION: 1,
                   Geography.Level.PROVINCE: 2}
    places = sorted(geographies, key=lambda g: (level_order.get(g.level, 3), g.name))
    found = {obs.geography_id: obs for obs in observations if obs.period == latest.period}
    return latest.period, [(place, found.get(place.pk)) for place in places]


def _chart_data(indicator, geographies, rows):
    def number(obs):
        return None if obs is None or obs.value is None else float(obs.value)

    return {
        "unit": indicator.get_unit_display(),
        "decimals": indicator.decimals,
        "periods": [row["period"] for row in rows],
        # Each period at its place in time (a span at its middle), so the chart spaces years
        # by time: 2013 to 2019 is six times wider than 2019 to 2020.
        "x": [row["x"] for row in rows],
        "series": [
            {"label": geo.name, "level": geo.level,
             "values": [number(row["cells"][i]) for row in rows]}
            for i, geo in enumerate(geographies)
        ],
    }


def _ordered_geographies():
    """Region first, then Ontario, then the municipalities: the reading order of the table."""
    level_order = {Geography.Level.REGION: 0, Geography.Level.PROVINCE: 1}
    return sorted(Geography.objects.all(), key=lambda g: (level_order.get(g.level, 2), g.order))


@dashboard_page
def indicator(request, slug):
    """Show one indicator: summary, chart, table, definition, source. Four queries, and one
    for the plan's outcomes it measures (plan_tags)."""
    indicator = get_object_or_404(
        Indicator.objects.published().select_related("domain", "summary")
        .prefetch_related("remote_sources"), slug=slug
    )
    sources = list(indicator.remote_sources.all())
    geographies = _ordered_geographies()
    observations = list(indicator.observations.all().order_by())
    present = {obs.geography_id for obs in observations}
    shown = [g for g in geographies if g.pk in present]
    rows = _series_table(indicator, shown, observations)
    latest_period, comparison = _latest_comparison(geographies, observations)
    return render(request, "indicators/indicator.html", {
        "latest_period": latest_period,
        "single": [(place, obs) for place, obs in zip(shown, rows[0]["cells"], strict=True)
                   if obs] if len(rows) == 1 else [],
        "comparison_rows": comparison,
        "bars": [(place.name, obs.value if obs else None) for place, obs in comparison],
        "indicator": indicator,
        "summary": getattr(indicator, "summary", None),
        "geographies": shown,
        "rows": list(reversed(rows)),
        "chart": _chart_data(indicator, shown, rows),
        "has_demo": indicator.is_demo,
        "has_ci": any(obs.ci_low is not None for obs in observations),
        "notes": sorted({obs.note for obs in observations if obs.note}),
        "citations": indicator.citations(),
        "automatic": any(s.active and s.layout in RemoteSource.WDS_LAYOUTS for s in sources),
    })


@dashboard_page
def municipality(request, slug):
    """Show each published indicator's latest figure for one municipality, beside Halton's and
    Ontario's. Three queries."""
    geographies = list(Geography.objects.all())
    place = next((g for g in geographies if g.slug == slug), None)
    if place is None or place.level != Geography.Level.MUNICIPALITY:
        raise Http404
    region = next((g for g in geographies if g.level == Geography.Level.REGION), None)
    province = next((g for g in geographies if g.level == Geography.Level.PROVINCE), None)
    indicators = list(_published_indicators())
    domains = list(Domain.objects.all())
    groups = _group_by_domain(domains, indicators)
    return render(request, "indicators/municipality.html", {
        "place": place,
        "region": region,
        "province": province,
        "municipalities": [g for g in geographies if g.level == Geography.Level.MUNICIPALITY],
        "groups": groups,
        "has_demo": any(i.is_demo for i in indicators),
        "with_data": sum(
            1 for i in indicators
            if getattr(i, "summary", None) and place.slug in (i.summary.latest or {})
        ),
    })


# Open data ---------------------------------------------------------------------------------------


def _metadata(indicator) -> dict:
    """Return the dataset metadata every download carries (reads the prefetched sources)."""
    updated = indicator.data_updated_at
    return {
        "licence": indicator.licence_text,
        "licence_url": indicator.licence_url,
        "citation": " ".join(indicator.citations()),
        "source_url": indicator.source_url,
        "last_updated": timezone.localdate(updated).isoformat() if updated else "",
        "next_release": indicator.next_release.isoformat() if indicator.next_release else "",
    }


def _data_rows(indicators):
    """Yield one dict per observation of the given indicators, in stable column order."""
    described = {indicator.pk: _metadata(indicator) for indicator in indicators}
    observations = (
        Observation.objects.filter(indicator__in=indicators)
        .select_related("indicator__domain", "geography")
        .order_by("indicator__domain__order", "indicator__order", "indicator__name",
                  "geography__order", "period_end", "period_start")
    )
    for obs in observations.iterator(chunk_size=5000):
        ind = obs.indicator
        meta = described[ind.pk]
        yield {
            "indicator": ind.slug,
            "indicator_name": ind.name,
            "domain": ind.domain.slug,
            "geography": obs.geography.slug,
            "geography_code": obs.geography.code,
            "geography_name": obs.geography.name,
            "period": obs.period,
            "period_start": obs.period_start,
            "period_end": obs.period_end,
            "value": obs.value,
            "unit": ind.unit,
            "status": obs.status,
            "ci_low": obs.ci_low,
            "ci_high": obs.ci_high,
            "note": obs.note,
            "sample_data": ind.is_demo,
            "licence": meta["licence"],
            "citation": meta["citation"],
            "source_url": meta["source_url"],
            "last_updated": meta["last_updated"],
        }


def _csv(filename, rows) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a BOM so spreadsheet programs read the file as UTF-8
    writer = csv.writer(buffer)
    writer.writerow(DATA_COLUMNS)
    for row in rows:
        row["sample_data"] = "yes" if row["sample_data"] else "no"
        writer.writerow([escape_cell(row[name]) for name in DATA_COLUMNS])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Link"] = f'<{reverse("indicators:datapackage")}>; rel="describedby"'
    return response


def _number(value):
    return None if value is None else float(value)


def _json(filename, indicators, rows) -> HttpResponse:
    by_indicator = {}
    for row in rows:
        by_indicator.setdefault(row["indicator"], []).append({
            "geography": row["geography"],
            "geography_code": row["geography_code"],
            "geography_name": row["geography_name"],
            "period": row["period"],
            "period_start": row["period_start"],
            "period_end": row["period_end"],
            "value": _number(row["value"]),
            "status": row["status"],
            "ci_low": _number(row["ci_low"]),
            "ci_high": _number(row["ci_high"]),
            "note": row["note"],
        })
    payload = {
        "licence": _("Open data from the Halton Community Safety and Well-Being dashboard. "
                     "Each indicator states the licence its publisher gives it."),
        "catalogue": reverse("data_json"),
        "data_package": reverse("indicators:datapackage"),
        "statuses": dict(Observation.Status.choices),
        "indicators": [
            {
                "indicator": ind.slug,
                "name": ind.name,
                "domain": ind.domain.slug,
                "definition": ind.definition,
                "unit": ind.unit,
                "decimals": ind.decimals,
                "direction": ind.direction,
                "zone": ind.zone or None,
                "source_name": ind.source_name,
                "source_url": ind.source_url,
                "notes": ind.notes,
                **{key: value or None for key, value in _metadata(ind).items()
                   if key != "source_url"},
                "citation": ind.citations(),
                "how_updated": ind.how_updated or None,
                "sample_data": ind.is_demo,
                "observations": by_indicator.get(ind.slug, []),
            }
            for ind in indicators
        ],
    }
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=1, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@open_data_file
def indicator_data(request, slug, fmt):
    """Download one published indicator's observations as CSV or JSON. Three queries."""
    indicator = get_object_or_404(
        Indicator.objects.published().select_related("domain").prefetch_related(
            "remote_sources"), slug=slug)
    rows = _data_rows([indicator])
    if fmt == "csv":
        return _csv(f"{indicator.slug}.csv", rows)
    return _json(f"{indicator.slug}.json", [indicator], rows)


@open_data_file
def dataset(request, fmt):
    """Download every published indicator's observations as CSV or JSON. Three queries."""
    indicators = _described_indicators()
    rows = _data_rows(indicators)
    if fmt == "csv":
        return _csv("halton-cswb-indicators.csv", rows)
    return _json("halton-cswb-indicators.json", indicators, rows)


def _json_document(payload, content_type="application/json") -> HttpResponse:
    return HttpResponse(json.dumps(payload, ensure_ascii=False, indent=1),
                        content_type=f"{content_type}; charset=utf-8")


@open_data_file
def data_json(request):
    """The DCAT-US 1.1 catalogue that CKAN's harvesters and ArcGIS Hub read. Three queries."""
    return _json_document(dcat_catalog(_described_indicators()))


@open_data_file
def datapackage(request):
    """The Frictionless data package describing the CSV files. Four queries."""
    return _json_document(data_package(_described_indicators()))


@dashboard_page
def data_dictionary(request):
    """Explain every column of the open data, its type and its allowed values."""
    return render(request, "indicators/data_dictionary.html", {
        "columns": columns(),
        "statuses": Observation.Status.choices,
        "units": Indicator.Unit.choices,
        "geographies": list(Geography.objects.all()),
    })
