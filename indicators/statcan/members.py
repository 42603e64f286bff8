"""How a source names what it wants from a Statistics Canada table: a member by its published
name ("Crime severity index"), by the beginning of its name ("Halton Region*"), or by its
classification code ("code:3524"). A leaf module: no models, no HTTP."""


def _norm(text) -> str:
    return " ".join(str(text or "").split()).casefold()


class MemberSpec:
    """One member named by a source; parsed once, then matched against many members."""

    __slots__ = ("code", "name", "prefix", "text")

    def __init__(self, text: str):
        self.text = str(text)
        stripped = self.text.strip()
        self.code = stripped[5:].strip() if stripped.lower().startswith("code:") else None
        self.prefix = _norm(stripped[:-1]) if stripped.endswith("*") and self.code is None else (
            None)
        self.name = _norm(stripped)

    def matches(self, name: str, code: str = "") -> bool:
        if self.code is not None:
            return str(code or "").strip() == self.code
        if self.prefix is not None:
            return _norm(name).startswith(self.prefix)
        return _norm(name) == self.name

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
