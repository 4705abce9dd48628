"""Dates: parsing the dates users and sources write, and finding the dates a sentence refers to.

A sentence's date expressions are found by rules (cheap, precise spans) and resolved against its
article's publication date, with our own arithmetic where dateparser falls short on relative
expressions. Resolved dates are ISO strings at the precision the text gives: "2022-02-24" (day),
"2022-W07" (week), "2022-02" (month), "2022" (year).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import overload

from qa.errors import ConfigError
from qa.news.sentences import sentence_spans


def to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\b")
# A numeric day with slashes or dots: 01/02/2022 is 2 January or 1 February depending on who wrote it.
_NUMERIC_DAY = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.]\d{2,4}")
_FOUR_DIGITS = re.compile(r"\b\d{4}\b")
_ISO_WEEK = re.compile(r"\d{4}-?W\d", re.IGNORECASE)


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def parse_date(
    value: str | date | datetime | None,
    *,
    relative_to: datetime | None = None,
    whole_day_only: bool = False,
) -> datetime | None:
    """Parse a date as sources and users write it ("2022-02-25", "25 Feb 2022", "yesterday").

    Returns a timezone-aware datetime, or None when `value` is empty or unparseable.
    ISO forms take the fast path; anything else goes through dateparser.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    text = str(value).strip()
    if not text:
        return None
    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    if (iso := _ISO_DAY.match(text)) and not _valid_day(*map(int, iso.groups())):
        return None  # 2022-13-01 is no day; dateparser would read it as 13 January
    import dateparser  # slow to import; only needed for free-form dates

    settings = {"RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC", "PREFER_DATES_FROM": "past"}
    if whole_day_only:  # a bare year or month is no day: dateparser would add today's
        settings["REQUIRE_PARTS"] = ["day", "month", "year"]
    if relative_to is not None:
        settings["RELATIVE_BASE"] = relative_to.replace(tzinfo=None)
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    return to_utc(parsed) if parsed else None


# Two unrelated moments: a date that parses differently against them depends on "now".
_PROBE_BASES = (datetime(2001, 3, 14, 9, 30), datetime(2013, 11, 5, 17, 45))


def is_relative_date(text: str) -> bool:
    """True for a date that means something only relative to when it was written ("yesterday",
    "in two weeks", "3 days ago", "Friday", "25 Feb" without a year).

    ISO dates take the fast path; others parse against two unrelated bases and count as
    relative when the results differ.
    """
    text = text.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        return False
    except ValueError:
        pass
    parsed = [parse_date(text, relative_to=base) for base in _PROBE_BASES]
    return None not in parsed and parsed[0] != parsed[1]


def parse_date_option(name: str, value: str | None) -> datetime | None:
    """Parse a command-line or page date option; an unparseable one is a clear error. A day
    must be named whole: "2022" or "Feb 2022" is refused rather than completed with today's
    month or day, "2022-W07" rather than taken for its Monday, and "01/02/2022" rather than
    guessed as January or February ("25/02/2022" can only be one day). A day without a year
    ("Friday", "25 Feb", "yesterday") is the latest such day."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    numeric = _NUMERIC_DAY.fullmatch(text)
    if numeric and max(int(numeric[1]), int(numeric[2])) <= 12:
        raise ConfigError(
            f"{name} {value!r} could be read day-first or month-first: use YYYY-MM-DD, "
            "e.g. 2022-02-25."
        )
    parsed = None if _ISO_WEEK.match(text) else parse_date(text, whole_day_only=True)
    if parsed is None and not _FOUR_DIGITS.search(text) and not _ISO_WEEK.match(text):
        parsed = parse_date(text)  # "yesterday", "Friday", "25 Feb": a day relative to today
    if parsed is None:
        raise ConfigError(f"{name} {value!r} is not a day: use YYYY-MM-DD, e.g. 2022-02-25.")
    return parsed


@overload
def epoch(value: datetime) -> int: ...
@overload
def epoch(value: None) -> None: ...
def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(to_utc(value).timestamp())


def end_of_day(value: datetime) -> datetime:
    """The last second of `value`'s day (UTC): a bound that takes in the whole day and nothing
    of the next, whether `value` is its midnight, its last moment or a time in between."""
    return datetime.combine(to_utc(value).date(), time(23, 59, 59), tzinfo=UTC)


# -- dates in sentences -------------------------------------------------------------------

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PRECISIONS = ("year", "month", "week", "day")  # coarse to fine: a year sorts before its days
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

# Month and weekday names must be capitalised, as news prose writes them: that keeps the verbs
# "may" and "march" out. Relative words match in any case.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?(?![A-Za-z])"
)
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_CALENDAR_WORD = re.compile(rf"{_MONTH}|{_WEEKDAY}")
_YEAR = r"(?:19|20)\d\d"
_DAYNUM = r"\d{1,2}(?:st|nd|rd|th)?"
_LEAD = r"(?i:in|since|by|until|during|from|before|after|early|late|mid|of|the|end of)"
_DATE_RE = re.compile(
    rf"""
    (?P<iso>\b{_YEAR}-\d\d-\d\d\b)
    | (?P<numeric>\b\d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}})\b)  # found, never resolved: 3/4 or 4/3?
    | (?P<md>\b(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAYNUM}\b(?:,?\s+(?P<md_year>{_YEAR})\b)?)
    | (?P<dm>\b(?:{_WEEKDAY},?\s+)?(?:the\s+)?{_DAYNUM}\s+(?:of\s+)?{_MONTH}
        (?:,?\s+(?P<dm_year>{_YEAR})\b)?)
    | (?P<my>\b{_MONTH}\s+(?P<my_year>{_YEAR})\b)
    | (?P<mon>\b{_LEAD}[\s-]+(?P<mon_name>{_MONTH})(?!\.?\s+\d))
    | (?P<year>\b{_LEAD}[\s-]+(?P<year_n>{_YEAR})\b(?![-/]\d))
    | (?P<rel_day>\b(?i:yesterday|today|tonight|tomorrow|last\s+night
        |this\s+(?:morning|afternoon|evening)|earlier\s+(?:in\s+the\s+day|today))\b)
    | (?P<prev_day>\b(?i:(?:a|one|the)\s+day\s+(?:after|earlier)|the\s+(?:previous|preceding)\s+day
        |the\s+day\s+before(?=\s*(?:[,.;]|$))))
    | (?P<wd>\b(?:(?P<wd_mod>(?i:on|last|next|this|since|from|until|by))\s+)?
        (?P<wd_name>{_WEEKDAY})\b(?!,?\s+(?:the\s+)?\d|,?\s+{_MONTH}))
    | (?P<period>\b(?P<p_mod>(?i:last|this|next|earlier\s+this|later\s+this|past|previous))\s+
        (?P<p_unit>(?i:week|month|year))\b)
    | (?P<ago>\b(?P<ago_n>\d+|(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten))\s+
        (?P<ago_unit>(?i:days?|weeks?|months?|years?))\s+(?i:ago|earlier)\b)
    """,
    re.VERBOSE,
)
# The cheap first test: a sentence without any of these words cannot hold a date expression.
_DATE_HINT = re.compile(
    rf"{_MONTH}|{_WEEKDAY}|\b{_YEAR}\b|\d/\d|(?i:yesterday|today|tonight|tomorrow|night|morning"
    r"|afternoon|evening|day|week|month|year)"
)
_FUTURE = re.compile(r"\b(will|is due to|are due to|is expected to|plans? to|scheduled)\b", re.I)
_RELATIVE_KINDS = ("rel_day", "prev_day", "wd", "period", "ago")


@dataclass(frozen=True, order=True)
class EventDate:
    """A date a sentence refers to: when its period starts, how precise it is, and its ISO form."""

    start: date
    precision: str  # one of PRECISIONS
    relative: bool = False  # resolved from "yesterday", "on Thursday"... rather than written out

    @property
    def iso(self) -> str:
        if self.precision == "year":
            return f"{self.start.year}"
        if self.precision == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.precision == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.isoformat()

    @property
    def label(self) -> str:
        """How a reader sees it: "24 February 2022", "February 2022", "the week of 14 ..."."""
        d = self.start
        if self.precision == "year":
            return str(d.year)
        if self.precision == "month":
            return f"{MONTH_NAMES[d.month - 1]} {d.year}"
        day = f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
        return f"the week of {day}" if self.precision == "week" else day

    @property
    def sort_key(self) -> tuple[date, int]:
        return (self.start, PRECISIONS.index(self.precision))


def parse_event_date(iso: str) -> EventDate | None:
    """The EventDate of a stored ISO string ("2022-02-24", "2022-W07", "2022-02", "2022")."""
    try:
        if "-W" in iso:
            year, week = iso.split("-W")
            return EventDate(date.fromisocalendar(int(year), int(week), 1), "week")
        parts = [int(p) for p in iso.split("-")]
    except ValueError:
        return None
    if len(parts) == 3:
        return EventDate(date(*parts), "day")
    if len(parts) == 2:
        return EventDate(date(parts[0], parts[1], 1), "month")
    return EventDate(date(parts[0], 1, 1), "year") if len(parts) == 1 else None


def may_hold_date(sentence: str) -> bool:
    """The cheap regex gate: False means the sentence certainly names no date."""
    return _DATE_HINT.search(sentence) is not None


def has_relative_date(sentence: str) -> bool:
    """Whether the sentence says "yesterday", "on Thursday", "last week"... (no parsing)."""
    return any(m.lastgroup in _RELATIVE_KINDS for m in _date_matches(sentence))


def find_dates(sentence: str, published: date | datetime | None) -> list[EventDate]:
    """The dates `sentence` refers to, resolved against the publication date, in text order.

    Without a publication date only fully written dates ("24 Feb 2022", "2021") resolve.
    """
    base = published.date() if isinstance(published, datetime) else published
    if not may_hold_date(sentence):
        return []
    future = _FUTURE.search(sentence) is not None
    found: dict[str, EventDate] = {}  # by ISO form: "yesterday, February 24" is one date
    for m in _date_matches(sentence):
        resolved = _resolve(m, base, future=future)
        if resolved is not None:
            found.setdefault(resolved.iso, resolved)
    return list(found.values())


def dated_sentences(
    text: str, published: date | datetime | None
) -> list[tuple[int, int, list[str]]]:
    """(start, end, ISO dates) for each sentence of `text` that refers to a date."""
    out = []
    for start, end in sentence_spans(text):
        dates = find_dates(text[start:end], published)
        if dates:
            out.append((start, end, [d.iso for d in dates]))
    return out


def event_span(isos: list[str]) -> tuple[int, int] | None:
    """Epoch seconds (UTC) from the start of the earliest to the end of the latest period named.

    Stored per chunk so retrieval can prefer chunks about a time window by a numeric range
    filter (cheap in Chroma and in the catalog) rather than matching ISO strings one by one.
    """
    periods = [d for iso in isos if (d := parse_event_date(iso)) is not None]
    if not periods:
        return None
    first = min(d.start for d in periods)
    last = max(_period_end(d) for d in periods)
    return _epoch(first), _epoch(last) - 1


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _period_end(d: EventDate) -> date:
    """The first day after the period `d` names."""
    if d.precision == "day":
        return d.start + timedelta(days=1)
    if d.precision == "week":
        return d.start + timedelta(weeks=1)
    if d.precision == "month":
        return _add_months(d.start, 1)
    return date(d.start.year + 1, 1, 1)


def dates_within(spans: list[tuple[int, int, list[str]]], start: int, end: int) -> list[str]:
    """The ISO dates of the stored sentence spans that overlap [start, end), without repeats."""
    out: list[str] = []
    for s, e, isos in spans:
        if s < end and e > start:
            out.extend(i for i in isos if i not in out)
    return out


def _date_matches(sentence: str) -> list[re.Match]:
    return list(_DATE_RE.finditer(sentence)) if may_hold_date(sentence) else []


def date_span(sentence: str) -> tuple[int, int] | None:
    """Offsets of the first date expression in `sentence` ("Thursday, February 24", "in 2019",
    "last week", "3/14/2021"), or None: the span a "when" question's answer shows in bold,
    without a leading "the" or the sentence's own full stop."""
    return next(_date_spans(sentence), None)


def date_spans(sentence: str) -> list[tuple[int, int]]:
    """Offsets of every date expression in `sentence`, in order, trimmed as `date_span` trims
    the first."""
    return list(_date_spans(sentence))


def _date_spans(sentence: str) -> Iterator[tuple[int, int]]:
    """The date expressions of `sentence` one by one, so that `date_span` stops at the first."""
    if not may_hold_date(sentence):
        return
    for m in _DATE_RE.finditer(sentence):
        start, end = m.span()
        if the := re.match(r"the\s+", sentence[start:end], re.IGNORECASE):
            start += the.end()
        if sentence[end - 1 : end] == "." and not sentence[end:].strip():
            end -= 1
        yield start, end


def without_dates(sentence: str) -> str:
    """`sentence` with every date expression blanked out (a year is not a figure)."""
    return _DATE_RE.sub(" ", sentence)


def is_calendar_word(word: str) -> bool:
    """A month or weekday name ("Feb.", "June", "Sunday"): a date, never a person or place."""
    return _CALENDAR_WORD.fullmatch(word) is not None


# dateparser resolves a weekday named on its publication day to a week earlier, has no "a day
# after" or "earlier this month", and puts a year-less "March 3" in last year: hence our arithmetic.
def _resolve(m: re.Match, base: date | None, *, future: bool) -> EventDate | None:
    kind = m.lastgroup
    if kind == "iso":
        try:
            return EventDate(date.fromisoformat(m.group("iso")), "day")
        except ValueError:
            return None
    if kind in ("md", "dm"):
        return _written_day(m.group(kind), base, has_year=bool(m.group(f"{kind}_year")))
    if kind == "my":
        return EventDate(date(int(m.group("my_year")), _month_number(m.group("my")), 1), "month")
    if kind == "year":
        return EventDate(date(int(m.group("year_n")), 1, 1), "year")
    if base is None:
        return None  # everything below is relative to the publication date
    if kind == "mon":
        return _nearest_month(_month_number(m.group("mon_name")), base)
    if kind == "rel_day":
        return EventDate(base + timedelta(days=_day_offset(m.group(kind))), "day", True)
    if kind == "prev_day":
        # "The call comes a day after Peskov confirmed...": the event named is the day before.
        return EventDate(base - timedelta(days=1), "day", True)
    if kind == "wd":
        return _weekday(m.group("wd_name"), (m.group("wd_mod") or "").lower(), base, future)
    if kind == "period":
        return _period(m.group("p_mod").lower().split()[-1], m.group("p_unit").lower(), base)
    if kind == "ago":
        n = m.group("ago_n").lower()
        count = int(n) if n.isdigit() else NUMBER_WORDS[n]
        try:
            return _ago(count, m.group("ago_unit").lower().rstrip("s"), base)
        except (ValueError, OverflowError):  # "2500 years ago": before year 1, no calendar day
            return None
    return None


def _written_day(text: str, base: date | None, *, has_year: bool) -> EventDate | None:
    """A written-out day ("Thursday, February 24", "24th of Feb 2022"), parsed by dateparser."""
    if not has_year and base is None:
        return None  # "February 24" of which year? Unknown without a publication date.
    parsed = _parse_day(re.sub(r"^the\s+|\bof\s+", "", text, flags=re.I), base)
    if parsed is None:
        return None
    if not has_year and base is not None:  # (base is never None here: returned above)
        parsed = _nearest_year(parsed, base)
    return EventDate(parsed, "day")


@lru_cache(maxsize=4096)
def _parse_day(text: str, base: date | None) -> date | None:
    import dateparser  # about 0.7 s to import and warm up: paid only when a sentence needs it

    settings: dict = {"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["day", "month"]}
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day)
    try:
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
    except (ValueError, OverflowError):
        return None
    return parsed.date() if parsed else None


def _nearest_year(day: date, base: date) -> date:
    """A year-less day placed in the year that puts it closest to the publication date."""
    options = []
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            options.append(day.replace(year=year))
        except ValueError:  # 29 February
            continue
    return min(options, key=lambda d: abs((d - base).days)) if options else day


def _nearest_month(month: int, base: date) -> EventDate:
    options = [date(y, month, 1) for y in (base.year - 1, base.year, base.year + 1)]
    here = date(base.year, base.month, 1)
    return EventDate(min(options, key=lambda d: abs((d - here).days)), "month", True)


def _month_number(text: str) -> int:
    prefix = text.strip()[:3].lower()
    return next(i for i, name in enumerate(MONTH_NAMES, 1) if name[:3].lower() == prefix)


def _day_offset(word: str) -> int:
    word = " ".join(word.lower().split())
    if word in ("yesterday", "last night"):
        return -1
    return 1 if word == "tomorrow" else 0


def _weekday(name: str, modifier: str, base: date, future: bool) -> EventDate:
    """The named weekday: the latest on or before publication, unless the text points ahead."""
    target = WEEKDAY_NAMES.index(name)
    back = (base.weekday() - target) % 7
    if modifier == "last" and back == 0:
        back = 7
    if modifier == "next" or (future and modifier != "last"):
        ahead = (target - base.weekday()) % 7 or (7 if modifier == "next" else 0)
        return EventDate(base + timedelta(days=ahead), "day", True)
    return EventDate(base - timedelta(days=back), "day", True)


def _period(modifier: str, unit: str, base: date) -> EventDate:
    """The period "last week", "earlier this month", "next year"... names."""
    step = {"last": -1, "past": -1, "previous": -1, "next": 1}.get(modifier, 0)
    if unit == "week":
        monday = base - timedelta(days=base.weekday()) + timedelta(weeks=step)
        return EventDate(monday, "week", True)
    if unit == "month":
        return EventDate(_add_months(date(base.year, base.month, 1), step), "month", True)
    return EventDate(date(base.year + step, 1, 1), "year", True)


def _ago(count: int, unit: str, base: date) -> EventDate:
    if unit == "day":
        return EventDate(base - timedelta(days=count), "day", True)
    if unit == "week":
        day = base - timedelta(weeks=count)
        return EventDate(day - timedelta(days=day.weekday()), "week", True)
    if unit == "month":
        return EventDate(_add_months(date(base.year, base.month, 1), -count), "month", True)
    return EventDate(date(base.year - count, 1, 1), "year", True)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
