"""Writes for Open311: API keys, the audit line for every request made with a key, and issues
sent by calling systems, which go through ``issues.services.issue_submit`` like the web form's.
"""

import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cswb.lib.audit import access_record
from indicators.models import Geography
from issues import services as issues_services
from issues.forms import IssueDetailsForm
from issues.models import Channel, Issue
from open311 import catalogue
from open311.georeport import GeoReportError, Params, check_plain_text, parse_coordinate
from open311.models import ApiKey

# A loose rectangle around Halton Region (WGS84), with a margin: it catches swapped or
# mistyped coordinates and points in another jurisdiction; it is not a municipal boundary.
HALTON_LATITUDE = (43.25, 43.80)
HALTON_LONGITUDE = (-80.20, -79.58)
# Places inside one municipality, read from an address that names no municipality.
COMMUNITIES = {
    "burlington": ["Aldershot", "Kilbride"],
    "halton-hills": ["Georgetown", "Acton", "Glen Williams", "Limehouse", "Norval"],
    "milton": ["Campbellville", "Moffat"],
    "oakville": ["Palermo"],
}
CONTACT_PARAMETERS = ("first_name", "last_name", "email", "phone")
# How the form's fields are called on the wire, for error descriptions.
PARAMETER_NAMES = {
    "topic": "service_code",
    "municipality": f"attribute[{catalogue.MUNICIPALITY}]",
    "description": "description",
    "affected": f"attribute[{catalogue.AFFECTED}]",
    "contact": f"attribute[{catalogue.CONSENT}]",
    "name": "first_name/last_name",
    "email": "email",
    "phone": "phone",
    "consent_to_contact": f"attribute[{catalogue.CONSENT}]",
}
ATTRIBUTE = re.compile(r"^attribute\[([^\]]*)\](\[\])?$")


# Keys ---------------------------------------------------------------------------------------


def key_issue(key: ApiKey, *, by=None) -> str:
    """Give the unsaved ``key`` a new random key, save it, and return the key (not kept)."""
    raw = ApiKey.generate()
    key.set_key(raw)
    key.created_by = by
    key.jurisdiction_id = key.jurisdiction_id or settings.OPEN311_JURISDICTION_ID
    key.full_clean()
    key.save()
    return raw


def key_create(
    *,
    name: str,
    contact_name: str = "",
    contact_email: str = "",
    hourly_limit: int | None = None,
    by=None,
) -> tuple[ApiKey, str]:
    """Make a key for a calling system; return the row and the key, which is not kept."""
    key = ApiKey(name=name, contact_name=contact_name, contact_email=contact_email)
    if hourly_limit is not None:
        key.hourly_limit = hourly_limit
    return key, key_issue(key, by=by)


@transaction.atomic
def key_revoke(*, key: ApiKey, by) -> bool:
    """Revoke ``key`` at once; return False when it already was. Its history stays.

    Saved as a model change, so the audit log shows who revoked it and when.
    """
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is not None:
        return False
    locked.revoked_at, locked.revoked_by = timezone.now(), by
    locked.save(update_fields=["revoked_at", "revoked_by"])
    key.revoked_at, key.revoked_by = locked.revoked_at, by
    return True


def key_authenticate(raw: str) -> ApiKey:
    """Return the active key for ``raw``, or raise the standard's 403. One query.

    An unknown key is not recorded anywhere (guessing must not fill the audit log); a revoked
    or foreign one is, through the error's ``key``.
    """
    if not raw:
        raise GeoReportError(403, _("api_key was not provided."))
    key = ApiKey.objects.by_key(raw)
    if key is None:
        raise GeoReportError(403, _("api_key is not valid."))
    error = None
    if not key.is_active:
        error = GeoReportError(403, _("This api_key was revoked; ask the CSWB Team for a new one."))
    elif key.jurisdiction_id != settings.OPEN311_JURISDICTION_ID:
        error = GeoReportError(
            403,
            _("This api_key is for the jurisdiction %(theirs)s, not %(ours)s.")
            % {"theirs": key.jurisdiction_id, "ours": settings.OPEN311_JURISDICTION_ID},
        )
    if error is not None:
        error.key = key  # a known key, refused: its use is still recorded
        raise error
    return key


def request_record(*, key: ApiKey, request, status: int, reference: str = "") -> None:
    """Write the audit line for one request made with ``key`` and note when it was last used."""
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    path = request.path
    access_record(
        obj=key,
        request=request,
        text=f"{request.method} {path} → {status}" + (f" {reference}" if reference else ""),
        data={
            "method": request.method,
            "path": path,
            "status": status,
            "service_request_id": reference,
        },
    )


# Issues from calling systems ------------------------------------------------------------------


def _municipality_named_in(address: str) -> Geography | None:
    """Return the one municipality an address names (or, failing that, one of its communities)."""
    municipalities = list(Geography.objects.municipalities())

    def named(words):
        return any(re.search(rf"\b{re.escape(w)}\b", address, re.IGNORECASE) for w in words)

    found = [g for g in municipalities if named([g.name])]
    if not found:
        found = [g for g in municipalities if named(COMMUNITIES.get(g.slug, []))]
    if len(found) > 1:
        raise GeoReportError(
            400,
            _("address_string names more than one municipality (%(names)s): send "
              "attribute[municipality] too.") % {"names": ", ".join(g.name for g in found)},
        )
    return found[0] if found else None


def _location(params: Params) -> tuple[Geography, str, object, object]:
    """Return (municipality, address, latitude, longitude) from the request's location."""
    address = params.get("address_string")
    if len(address) > 300:
        raise GeoReportError(400, _("address_string must be at most 300 characters."))
    latitude = longitude = None
    if ("lat" in params) != ("long" in params):
        raise GeoReportError(400, _("Send lat and long together, or neither."))
    if "lat" in params:
        latitude = parse_coordinate("lat", params.get("lat"), -90, 90)
        longitude = parse_coordinate("long", params.get("long"), -180, 180)
        if not (
            HALTON_LATITUDE[0] <= latitude <= HALTON_LATITUDE[1]
            and HALTON_LONGITUDE[0] <= longitude <= HALTON_LONGITUDE[1]
        ):
            raise GeoReportError(
                400, _("lat and long are outside Halton Region: this endpoint takes only "
                       "Halton's issues.")
            )
    slug = params.get(f"attribute[{catalogue.MUNICIPALITY}]")
    if slug:
        municipality = Geography.objects.municipalities().filter(slug=slug).first()
        if municipality is None:
            raise GeoReportError(
                400, _("attribute[municipality] must be one of: %(keys)s.")
                % {"keys": ", ".join(g.slug for g in Geography.objects.municipalities())},
            )
    else:
        municipality = _municipality_named_in(address) if address else None
    if municipality is None:
        if address or latitude is not None:
            raise GeoReportError(
                400, _("Say which municipality the issue concerns: send attribute[municipality] "
                       "(coordinates alone cannot place an issue in a municipality here).")
            )
        raise GeoReportError(
            400, _("No location: send attribute[municipality], an address_string naming the "
                   "municipality, or lat and long with attribute[municipality].")
        )
    return municipality, address, latitude, longitude


def _check_attributes(params: Params) -> None:
    known = {catalogue.MUNICIPALITY, catalogue.AFFECTED, catalogue.CONSENT}
    for name in params.values:
        match = ATTRIBUTE.match(name)
        if name.startswith("attribute") and (not match or match.group(1) not in known):
            raise GeoReportError(
                400, _("Unknown attribute %(name)s: see the service definition.") % {"name": name}
            )


def request_submit(*, key: ApiKey, params: Params) -> Issue:
    """Validate a POSTed service request and save it as a resident's issue.

    Everything is checked before anything is written, with the web form's own rules
    (``IssueDetailsForm``); the issue then gets the web form's reference, emails and routing.
    Raise ``GeoReportError`` (400) for anything wrong.
    """
    code = params.get("service_code")
    if not code:
        raise GeoReportError(400, _("service_code was not provided."))
    if code not in catalogue.service_codes():
        raise GeoReportError(
            400, _("service_code %(code)s was not found: see services.xml.") % {"code": code[:50]}
        )
    _check_attributes(params)
    description = params.get("description")
    affected = params.get(f"attribute[{catalogue.AFFECTED}]")
    check_plain_text("description", description)
    check_plain_text(f"attribute[{catalogue.AFFECTED}]", affected)

    consent = params.get(f"attribute[{catalogue.CONSENT}]").lower()
    if consent not in ("", catalogue.YES, catalogue.NO):
        raise GeoReportError(400, _("attribute[contact_consent] must be yes or no."))
    has_details = any(params.get(name) for name in CONTACT_PARAMETERS)
    if has_details and consent == catalogue.NO:
        raise GeoReportError(
            400, _("Contact details were sent with attribute[contact_consent]=no: send them "
                   "only when the resident agreed to be contacted.")
        )
    if has_details and not consent:
        raise GeoReportError(
            400, _("Contact details need attribute[contact_consent]=yes: did the resident "
                   "agree that CSWB staff may contact them?")
        )
    municipality, address, latitude, longitude = _location(params)

    named = consent == catalogue.YES
    name = " ".join(filter(None, (params.get("first_name"), params.get("last_name"))))
    form = IssueDetailsForm({
        "topic": code,
        "municipality": str(municipality.pk),
        "description": description,
        "affected": affected,
        "contact": IssueDetailsForm.NAMED if named else IssueDetailsForm.ANONYMOUS,
        "name": name,
        "email": params.get("email"),
        "phone": params.get("phone"),
        "consent_to_contact": "on" if named else "",
    })
    if not form.is_valid():
        problems = [
            f"{PARAMETER_NAMES.get(field, field)}: {message}"
            for field, messages in form.errors.items()
            for message in messages
        ]
        raise GeoReportError(400, " ".join(problems))
    data = form.cleaned_data
    return issues_services.issue_submit(
        topic=data["topic"],
        municipality=data["municipality"],
        description=data["description"],
        affected=data["affected"],
        anonymous=form.is_anonymous,
        name=data["name"],
        email=data["email"],
        phone=data["phone"],
        consent_to_contact=data["consent_to_contact"],
        channel=Channel.OPEN311,
        location=address,
        latitude=latitude,
        longitude=longitude,
        note=_("Sent by %(system)s through Open311 (key %(prefix)s…).")
        % {"system": key.name, "prefix": key.prefix},
    )
