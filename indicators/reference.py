"""Halton's reference geographies (and, as the app grows, domains and indicators)."""

from indicators.models import Geography

PROVINCE, REGION, MUNICIPALITY = Geography.Level

# name, slug, level, SGC code, DGUID, parent slug
GEOGRAPHIES = [
    ("Ontario", "ontario", PROVINCE, "35", "2021A000235", None),
    ("Halton Region", "halton", REGION, "3524", "2021A00033524", "ontario"),
    ("Burlington", "burlington", MUNICIPALITY, "3524002", "2021A00053524002", "halton"),
    ("Halton Hills", "halton-hills", MUNICIPALITY, "3524015", "2021A00053524015", "halton"),
    ("Milton", "milton", MUNICIPALITY, "3524009", "2021A00053524009", "halton"),
    ("Oakville", "oakville", MUNICIPALITY, "3524001", "2021A00053524001", "halton"),
]


def load_geographies() -> int:
    """Create the reference geographies that are missing; return how many were created."""
    created = 0
    for order, (name, slug, level, code, dguid, parent_slug) in enumerate(GEOGRAPHIES):
        parent = Geography.objects.get(slug=parent_slug) if parent_slug else None
        _geo, was_created = Geography.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "level": level,
                "code": code,
                "dguid": dguid,
                "parent": parent,
                "order": order,
            },
        )
        created += was_created
    return created


def load() -> str:
    return f"{load_geographies()} geographies created"
