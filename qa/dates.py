"""Dates: parsing user and source dates, and resolving relative expressions against a reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from qa.errors import ConfigError


def to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_date(
    value: str | date | datetime | None, *, relative_to: datetime | None = None
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
    import dateparser  # slow to import; only needed for free-form dates

    settings = {"RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC", "PREFER_DATES_FROM": "past"}
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
    """Parse a command-line or page date option; an unparseable one is a clear error."""
    if value is None or not str(value).strip():
        return None
    parsed = parse_date(value)
    if parsed is None:
        raise ConfigError(f"{name} {value!r} is not a date: use YYYY-MM-DD, e.g. 2022-02-25.")
    return parsed


def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(to_utc(value).timestamp())
