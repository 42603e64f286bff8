"""How a source names what it wants from a Statistics Canada table: a member by its published
name ("Crime severity index"), by the beginning of its name ("Halton Region*"), or by its
classification code ("code:3524"). A leaf module: no models, no HTTP."""

from dataclasses import dataclass


def _norm(text) -> str:
    return " ".join(str(text or "").split()).casefold()


@dataclass(frozen=True)
class MemberSpec:
    text: str

    @property
    def code(self) -> str | None:
        return self.text.strip()[5:].strip() if self.text.strip().lower().startswith(
            "code:") else None

    @property
    def prefix(self) -> str | None:
        text = self.text.strip()
        return _norm(text[:-1]) if text.endswith("*") and self.code is None else None

    def matches(self, name: str, code: str = "") -> bool:
        if self.code is not None:
            return str(code or "").strip() == self.code
        if self.prefix is not None:
            return _norm(name).startswith(self.prefix)
        return _norm(name) == _norm(self.text)

    def __str__(self):
        return self.text


class GeoMatcher:
    """Map a full-table CSV's GEO names to our places, remembering each name it has seen (a
    table of millions of rows holds only a few thousand places)."""

    def __init__(self, geographies: dict[str, str]):
        self.specs = [(MemberSpec(spec), slug) for slug, spec in geographies.items()]
        self.seen: dict[str, str | None] = {}

    def __call__(self, geo: str) -> str | None:
        if geo not in self.seen:
            self.seen[geo] = next((slug for spec, slug in self.specs if spec.matches(geo)), None)
        return self.seen[geo]
