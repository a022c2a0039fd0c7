"""Event dates: an explicit date in the event's sentence, else a relative day resolved against the article's date.

The article's date comes from the input record's ``date`` field, or from a
dateline or "Date of publication ..." line at the top of the text. Date
phrases are found by the patterns below; the common forms are read directly
and the rest by ``dateparser`` (tested to agree with it); a date
without a year takes the year that puts it on or before the article date.
Precision follows ACLED's: ``day``, ``week`` (only the report's date is known)
or ``month``; empty when nothing supports a date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

DAY, WEEK, MONTH = "day", "week", "month"
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAYNUM = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
# Most specific first; each pattern's precision.
PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"\b{_DAYNUM}\s+{_MONTH},?\s+{_YEAR}\b|\b{_MONTH}\s+{_DAYNUM},?\s+{_YEAR}\b"), DAY),
    (re.compile(rf"\b{_YEAR}-\d\d-\d\d\b"), DAY),
    (re.compile(rf"\b{_DAYNUM}\s+{_MONTH}(?!\s*{_YEAR})\b|\b{_MONTH}\s+{_DAYNUM}\b(?!,?\s*{_YEAR})"), DAY),
    (re.compile(rf"\b(?:last\s+|on\s+|late\s+|early\s+)?{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?\b"), DAY),
    (re.compile(r"\b(?:yesterday|today|tonight|this morning|this afternoon|this evening|last night|"
                r"earlier (?:in the day|today)|overnight)\b", re.IGNORECASE), DAY),
    (re.compile(rf"\b{_MONTH}\s+{_YEAR}\b"), MONTH),
    (re.compile(r"\blast week\b|\bthis week\b", re.IGNORECASE), WEEK),
    (re.compile(r"\blast month\b|\bthis month\b", re.IGNORECASE), MONTH),
]
_SAME_DAY = re.compile(r"today|tonight|this (?:morning|afternoon|evening)|earlier (?:in the day|today)", re.IGNORECASE)
_OVERNIGHT = re.compile(r"last night|overnight", re.IGNORECASE)
# The first lines of web copy often carry the publication date.
_HEADER = re.compile(rf"(?:Date of publication|Published|Last updated(?: at)?|Updated)?\s*"
                     rf"({_DAYNUM}\s+{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAYNUM},?\s+{_YEAR}|\d\d\.\d\d\.{_YEAR})")


@dataclass(frozen=True)
class EventDate:
    date: dt.date | None
    precision: str  # day | week | month | ""

    def iso(self) -> str:
        return self.date.isoformat() if self.date else ""


NO_DATE = EventDate(None, "")


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}
_DAY_MONTH_YEAR = re.compile(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH}),?\s+(?P<y>{_YEAR})")
_MONTH_DAY_YEAR = re.compile(rf"(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>{_YEAR})")
_MONTH_YEAR = re.compile(rf"(?P<m>{_MONTH})\s+(?P<y>{_YEAR})")
_NUMERIC = {"YMD": re.compile(r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)"),
            "DMY": re.compile(r"(?P<d>\d\d)\.(?P<m>\d\d)\.(?P<y>\d{4})")}


def _explicit(phrase: str, order: str) -> dt.date | None:
    """A phrase that spells out its year, month and maybe day ("7 July 2015", "April 29 2017", "March 2011",
    "2015-07-05", "24.09.2014" in day-first order) read directly: dateparser gives the same date (the first of
    the month without a day), but takes milliseconds a phrase and most of a second on its first call."""
    phrase = phrase.strip()
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _MONTH_YEAR, _NUMERIC.get(order)):
        m = pattern.fullmatch(phrase) if pattern is not None else None
        if m:
            month = int(m["m"]) if m["m"].isdigit() else _MONTHS[m["m"][:3].lower()]
            try:
                return dt.date(int(m["y"]), month, int(m.groupdict().get("d") or 1))
            except ValueError:
                return None  # "31 April 2017": left to dateparser, which decides what it is
    return None


_DAY_MONTH = re.compile(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH})")
_MONTH_DAY = re.compile(rf"(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?")
_LAST_OR_THIS = re.compile(r"(?P<which>last|this)\s+(?P<unit>week|month)", re.IGNORECASE)


def _relative(phrase: str, base: dt.date) -> dt.date | None:
    """The yearless and relative phrases of news copy ("Nov. 14", "14th Nov", "last week", "this month") read
    against the report's date as dateparser reads them with PREFER_DATES_FROM=past: the latest such day on or
    before the report; a week back; the first of the month. None: left to dateparser."""
    phrase = phrase.strip()
    m = _DAY_MONTH.fullmatch(phrase) or _MONTH_DAY.fullmatch(phrase)
    if m:
        month, day = _MONTHS[m["m"][:3].lower()], int(m["d"])
        for year in range(base.year, base.year - 9, -1):  # 29 February reaches back to the last leap year
            try:
                date = dt.date(year, month, day)
            except ValueError:
                continue
            if date <= base:
                return date
        return None
    m = _LAST_OR_THIS.fullmatch(phrase)
    if m:
        last = m["which"].lower() == "last"
        if m["unit"].lower() == "week":
            return base - dt.timedelta(days=7) if last else base
        first = base.replace(day=1)
        return (first - dt.timedelta(days=1)).replace(day=1) if last else first
    return None


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@lru_cache(maxsize=4096)
def _parse(phrase: str, base: dt.date | None, order: str = "MDY") -> dt.date | None:
    """One phrase, read directly where the forms above cover it, else by dateparser (cached: wire copy
    repeats its date phrases)."""
    explicit = _explicit(phrase, order) if base is None or re.search(_YEAR, phrase) else _relative(phrase, base)
    if explicit is not None:
        return explicit
    import dateparser

    settings = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": order}
    if base is not None:
        settings["RELATIVE_BASE"] = dt.datetime.combine(base, dt.time(12))
    try:
        parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    except (ValueError, OverflowError):
        return None
    return parsed.date() if parsed else None


def article_date(meta_date, text: str) -> EventDate:
    """The article's own date: the record's ``date`` field (``YYYY-MM-DD`` or ``YYYY-MM``), else the header."""
    if isinstance(meta_date, (dt.date, dt.datetime)):
        return EventDate(meta_date if isinstance(meta_date, dt.date) and not isinstance(meta_date, dt.datetime)
                         else meta_date.date(), DAY)
    if isinstance(meta_date, str) and meta_date.strip():
        value = meta_date.strip()
        if re.fullmatch(r"\d{4}-\d\d", value):
            return EventDate(dt.date(int(value[:4]), int(value[5:7]), 1), MONTH)
        parsed = _parse(value, None, "YMD" if re.match(r"\d{4}", value) else "DMY")
        if parsed:
            return EventDate(parsed, DAY)
    m = _HEADER.search(text[:200])
    if m and m.start() < 120:
        parsed = _parse(m.group(1), None, "DMY" if "." in m.group(1) else "MDY")
        if parsed:
            return EventDate(parsed, DAY)
    return NO_DATE


def date_cue(sentence: str) -> tuple[str, str, int] | None:
    """The first date phrase in a sentence: (phrase, precision, offset)."""
    best = None
    for pattern, precision in PATTERNS:
        m = pattern.search(sentence)
        if m and (best is None or m.start() < best[2]):
            best = (m.group(0), precision, m.start())
    return best


def resolve(sentence: str, article: EventDate) -> EventDate | None:
    """The date a sentence gives its events, or None when it has no date phrase."""
    cue = date_cue(sentence)
    if cue is None:
        return None
    phrase, precision, _ = cue
    base = article.date if article.precision == DAY else None
    weekday = re.search(_WEEKDAY, phrase)
    if weekday and base is not None:
        # The most recent such day on or before the report ("on Tuesday" in a Tuesday report: that day).
        back = (base.weekday() - WEEKDAYS.index(weekday.group(0))) % 7
        if "last" in phrase.lower() and back == 0:
            back = 7
        return EventDate(base - dt.timedelta(days=back), DAY)
    if re.fullmatch(r"yesterday", phrase.strip(), re.IGNORECASE):
        return EventDate(base - dt.timedelta(days=1), DAY) if base else None
    if _SAME_DAY.fullmatch(phrase.strip()) or _SAME_DAY.search(phrase):
        return EventDate(base, DAY) if base else None
    if _OVERNIGHT.search(phrase):
        return EventDate(base - dt.timedelta(days=1), DAY) if base else None
    has_year = re.search(_YEAR, phrase) is not None
    if not has_year and base is None:
        return None  # "on Saturday", "May 23": nothing to resolve them against
    parsed = _parse(phrase, base)
    if parsed is None:
        return None
    if base is not None and parsed > base:
        return None  # a date after the report is a plan, not an event date
    if precision == MONTH:
        parsed = parsed.replace(day=1)
    return EventDate(parsed, precision)


def fallback(article: EventDate) -> EventDate:
    """When the text gives no day for an event: the report's date, with ACLED's lower precision."""
    if article.date is None:
        return NO_DATE
    return EventDate(article.date, WEEK) if article.precision == DAY else EventDate(article.date, MONTH)
