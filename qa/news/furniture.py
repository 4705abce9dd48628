"""Page furniture: lines of a news page that are not its reporting.

A live blog's "6:12 pm ET April 28, 2026 Share this update", an "Updated March 27, 2026, 5:48
p.m. ET" stamp, a "By Jane Doe, CNN" byline, a "(Photo: John Smith/Getty Images)" credit and a
"Related: ..." pointer state nothing a reader asked about, yet they share the question's dates
and names. Ingest drops such lines when it cleans an article; the answerer and the timeline
never take one as evidence (stores ingested before keep them in their text).
"""

from __future__ import annotations

import re

MAX_FURNITURE_CHARS = 200  # furniture is short; a long line is prose whatever it starts with

# Words a timestamp line is made of besides its date and time.
_STAMP_WORDS = (
    r"updated|update|published|posted|last|first|modified|edited|on|at|by|share|this|post|"
    r"entry|live|breaking|new|latest|copy|link|min|mins|read|ago|hours?|minutes?|seconds?"
)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAYS = r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
_ZONES = r"et|est|edt|ct|cst|cdt|mt|mst|mdt|pt|pst|pdt|gmt|bst|utc|cet|cest|ist|jst|aest|z"
_STAMP_TOKEN = re.compile(
    rf"^(?:{_STAMP_WORDS}|{_MONTHS}|{_DAYS}|{_ZONES}|a\.?m\.?|p\.?m\.?|"
    r"\d{1,2}(?:[:.]\d{2}){1,2}(?:[ap]\.?m\.?)?|\d{1,4}(?:st|nd|rd|th)?|\d{4}-\d{2}-\d{2}(?:t[\d:.]+z?)?|"
    r"\d{1,2}/\d{1,2}/\d{2,4})$",
    re.IGNORECASE,
)
_TOKENS = re.compile(r"[^\s,|·•–—-]+")
# "By Jane Doe", "By Jane Doe and John Roe, CNN", "By JANE DOE | Reuters"
_NAME_WORD = r"(?:[A-Z][\w.'’-]*|[A-Z]{2,}|de|da|van|von|al|bin|and|&)"
_CAPITALISED = r"[A-Z][\w.'’&-]*"
_BYLINE = re.compile(
    rf"^(?:[Ww]ritten |[Rr]eporting |[Ss]tory )?(?:By|BY|by):?\s+{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,7}}"
    rf"(?:\s*[,|/–—-]\s*{_CAPITALISED}(?:\s+(?:{_CAPITALISED}|and|of|the|for|in)){{0,6}})?\.?$",
)
_CREDIT = re.compile(
    r"\b(?:getty images|ap photo|afp via getty|afp/getty|shutterstock|photo credit|"
    r"image credit|epa-efe|pool photo)\b|^\(?(?:photo|image|picture|"
    r"credit|illustration)s?\s*(?:credit)?\s*:",
    re.IGNORECASE,
)
_POINTER = re.compile(
    r"^(?:related|read more|more|see also|watch|listen|recommended|also read|read next)\s*:",
    re.IGNORECASE,
)
_SHARE = re.compile(r"\bshare this (?:update|post|entry|story|article)\b", re.IGNORECASE)


def is_timestamp(line: str) -> bool:
    """A line made only of a date or time and the words around one ("Updated", "ET", "Share
    this update"), with at least one digit."""
    tokens = _TOKENS.findall(line.strip().strip("()[]"))
    return (
        bool(tokens)
        and any(ch.isdigit() for ch in line)
        and all(_STAMP_TOKEN.match(t.strip(".:;")) or not t.strip(".:;") for t in tokens)
    )


def is_furniture(line: str) -> bool:
    """Whether a line (or a sentence) is page furniture, never evidence: a timestamp, a
    byline, a photo credit, a "Related:" pointer or a "Share this update" control."""
    text = line.strip()
    if not text or len(text) > MAX_FURNITURE_CHARS:
        return False
    return bool(
        is_timestamp(text)
        or _BYLINE.match(text)
        or _CREDIT.search(text)
        or _POINTER.match(text)
        or _SHARE.search(text)
    )
