"""Where real documents come from, and the licences the project accepts.

Every document with ``provenance: real`` carries its source, a URL or dataset
reference, its publication date (``null`` where unknown), its licence and the
attribution the licence asks for. Only licences that allow redistribution with
attribution are accepted: no non-commercial, no no-derivatives. The table of
sources with counts is ``data/SOURCES.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

REAL = "real"
REQUIRED = ("source", "date", "licence", "attribution")


@dataclass(frozen=True)
class Licence:
    name: str
    url: str
    share_alike: bool = False


LICENCES = {lic.name: lic for lic in (
    Licence("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    Licence("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", share_alike=True),
    Licence("CC BY 3.0 AU", "https://creativecommons.org/licenses/by/3.0/au/"),
    Licence("OGL v3.0", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    Licence("Public domain (U.S. Government work)", "https://www.usa.gov/government-copyright"),
    # The three seed articles were supplied with the project brief (shared/seeds) and are kept as given.
    Licence("Project seed (supplied with the brief)", "../shared/seeds"),
)}


def provenance_problems(meta: dict) -> list[str]:
    """What a real document's meta lacks or gets wrong (empty for other provenances)."""
    if meta.get("provenance") != REAL:
        return []
    out = [f"real document without '{key}' in its meta" for key in REQUIRED if key not in meta]
    if not (meta.get("url") or meta.get("dataset")):
        out.append("real document without 'url' or 'dataset' in its meta")
    licence = meta.get("licence")
    if "licence" in meta and licence not in LICENCES:
        out.append(f"licence {licence!r} is not one the project accepts ({'; '.join(LICENCES)}); "
                   "non-commercial and no-derivatives licences are not allowed")
    if "reviewed" in meta and not isinstance(meta["reviewed"], bool):
        out.append("'reviewed' must be true or false")
    return out
