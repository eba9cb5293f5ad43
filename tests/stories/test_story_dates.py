"""Dates written in article text, the evidence stories use to tell similar events apart."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from monitor.stories import dates as story_dates
from monitor.stories.dates import text_dates
from monitor.stories.model import (
    DEFAULT_WEIGHTS,
    FEATURES,
    ArticleVectors,
    Centroid,
    featurize,
    join_features,
)


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


def _vectors(text: str) -> ArticleVectors:
    return ArticleVectors.build(featurize("Fire at the depot", text, 2.0), {}, 1, 9)


DATE_HIT = FEATURES.index("date_hit")


@pytest.mark.parametrize(
    ("story_text", "article_text", "hit"),
    [
        ("The fire started on March 3, 2014.", "Crews were called on 4 March 2014.", 1.0),
        ("The fire started on March 3, 2014.", "Crews were called on 2014-03-05.", 1.0),
        ("The fire started on March 3, 2014.", "Crews were called on March 9, 2014.", 0.0),
        ("The fire started on March 3, 2014.", "Crews were called in the night.", 0.0),
        ("The fire started at night.", "Crews were called on March 3, 2014.", 0.0),
    ],
)
def test_join_features_weigh_a_date_both_sides_wrote(
    story_text: str, article_text: str, hit: float
) -> None:
    centroid = Centroid.empty().add(_vectors(story_text))
    feats = join_features(_vectors(article_text), centroid, 1, 0.0, 0.0)
    assert len(feats) == len(DEFAULT_WEIGHTS)
    assert feats[DATE_HIT] == hit


def test_a_centroid_stored_before_dates_loads_with_an_empty_date_channel() -> None:
    old = Centroid(Centroid.empty().add(_vectors("On March 3, 2014.")).channels[:5])
    loaded = Centroid.unpack(old.pack())
    assert len(loaded.channels) == len(Centroid.empty().channels)
    assert len(loaded.channels[-1][0]) == 0
    feats = join_features(_vectors("On March 3, 2014."), loaded, 1, 0.0, 0.0)
    assert feats[DATE_HIT] == 0.0


ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")


def _whole_text_scan(text: str) -> list[int]:
    """The three patterns run over the whole text: what the windowed scan must equal."""
    found: set[int] = set()
    for m in story_dates._MDY.finditer(text):
        story_dates._add(found, m.group(3), story_dates._MONTHS[m.group(1)[:3].lower()], m.group(2))
    for m in story_dates._DMY.finditer(text):
        story_dates._add(found, m.group(3), story_dates._MONTHS[m.group(2)[:3].lower()], m.group(1))
    for m in ISO.finditer(text):
        story_dates._add(found, m.group(1), int(m.group(2)), m.group(3))
    return sorted(found)[:20]


STORIES = Path(__file__).resolve().parents[3] / "shared" / "data" / "stories"


@pytest.mark.skipif(not STORIES.exists(), reason=f"{STORIES} is absent")
def test_windowed_scan_finds_what_the_whole_text_scan_finds_on_the_story_files() -> None:
    texts = [
        json.loads(line)["text"]
        for name in ("gva.dev.jsonl", "ecbplus.dev.jsonl")
        for line in (STORIES / name).read_text(encoding="utf-8").splitlines()
    ]
    dated = [t for t in texts if _whole_text_scan(t)]
    assert len(dated) > 500  # the files do write dates
    assert [text_dates(t) for t in texts] == [_whole_text_scan(t) for t in texts]
