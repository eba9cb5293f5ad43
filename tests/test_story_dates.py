"""Dates written in article text, the evidence stories use to tell similar events apart."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.story_dates import text_dates


def iso(text: str) -> list[str]:
    return [date.fromordinal(o).isoformat() for o in text_dates(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Published: July 28, 2004 at 1:24 PM", ["2004-07-28"]),
        ("Last Updated: Monday, 28 November 2005, 02:24 GMT", ["2005-11-28"]),
        ("Sat Nov 12 2011, 01:19 hrs", ["2011-11-12"]),
        ("Posted Nov 14th 2007 12:41PM", ["2007-11-14"]),
        ("9th September 2013", ["2013-09-09"]),
        ("Feb. 16, 2014 and again on 2014-02-16", ["2014-02-16"]),
        ("From Feb. 3rd, 2015 to 2014-02-16", ["2014-02-16", "2015-02-03"]),
    ],
)
def test_dates_in_text(text: str, expected: list[str]) -> None:
    assert iso(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "February 30, 2014",  # no such day
        "in May 2010",  # no day: not a date of an event
        "Mayor Smith said 12 2011 figures",
        "7/28/04",  # numeric forms are ambiguous (US or European order): left out
        "Marching 12 2011",
    ],
)
def test_not_dates(text: str) -> None:
    assert text_dates(text) == []
