"""Calendar dates written in an article's text ("July 28, 2004", "9 September 2013", "2014-02-16").

Stories use them as evidence of *when*: two reports giving the same date (± a day or two) are
likely about one event, two giving only dates far apart are not — even when the articles carry
no published time of their own (an archive, a scraped page).
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["text_dates"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"((?:19|20)\d\d)"
_MDY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.IGNORECASE)
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE)
_LIMIT = 20  # dates kept per article
# The scan: find the years (cheap), then read the few characters before each one — 4× faster than
# running the three patterns over the whole text, the same dates (tests/test_story_dates.py).
_YEARS = re.compile(r"\b(?:19|20)\d\d\b")
_BEFORE = 40  # characters read before a year: "September 30th, " with room for spaces
_MDY_END = re.compile(_MDY.pattern + r"\Z", re.IGNORECASE)
_DMY_END = re.compile(_DMY.pattern + r"\Z", re.IGNORECASE)
_ISO_REST = re.compile(r"-(\d\d)-(\d\d)\b")


def text_dates(text: str) -> list[int]:
    """The distinct dates written in *text*, as proleptic ordinals (date.toordinal), sorted."""
    found: set[int] = set()
    for year in _YEARS.finditer(text):
        start, end = year.span()
        window = text[max(0, start - _BEFORE) : end]
        if m := _MDY_END.search(window):
            _add(found, m.group(3), _MONTHS[m.group(1)[:3].lower()], m.group(2))
        if m := _DMY_END.search(window):
            _add(found, m.group(3), _MONTHS[m.group(2)[:3].lower()], m.group(1))
        if m := _ISO_REST.match(text, end):
            _add(found, year.group(), int(m.group(1)), m.group(2))
    return sorted(found)[:_LIMIT]


def _add(found: set[int], year: str, month: int, day: str) -> None:
    try:
        found.add(date(int(year), month, int(day)).toordinal())
    except ValueError:  # "February 30, 2014"
        pass
