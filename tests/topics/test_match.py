"""Topic matching: the conformance table, scores, snippets, scopes and the one-pass index."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from monitor.errors import QueryError
from monitor.topics.match import Hit, MatchDoc, Matcher, TopicSpec, score


@dataclass(frozen=True)
class Case:
    """query × article → the (field, term) hits of a match, or None for no match."""

    query: str
    text: str
    hits: frozenset[str] | None
    title: str = ""
    url: str = "https://news.example.com/world/story-1"
    source: str = "Example World"
    domain: str = "news.example.com"
    language: str | None = "en"
    doc: dict[str, str] = field(default_factory=dict)


def C(query: str, text: str, hits: str | None, title: str = "", **doc: str | None) -> Case:
    """hits: space-separated field:term (terms with spaces use _), '' = no match."""
    parsed = frozenset(h.replace("_", " ") for h in hits.split()) if hits else None
    return Case(query, text, parsed, title, **doc)  # type: ignore[arg-type]


LEGION = "Fighters of the Freedom of Russia Legion crossed the border on Monday."

CASES = [
    # bare terms: implicit AND, word boundaries
    C("legion", LEGION, "text:legion"),
    C("legion russia", LEGION, "text:legion text:russia"),
    C("legion ukraine", LEGION, None),
    C("legion", "The legionnaires marched.", None),
    C("legion", "Legion-based units", "text:legion"),
    C("border", "cross-border raids", "text:border"),
    C("kyiv", "KYIVSTAR was hacked", None),
    C("russia", "Russia, Russia; russia!", "text:russia"),
    C("2024", "In 2024 elections", "text:2024"),
    C("2024", "In 20245 units", None),
    # explicit AND
    C("legion AND border", LEGION, "text:legion text:border"),
    C("legion AND tank", LEGION, None),
    # phrases
    C('"freedom of russia legion"', LEGION, "text:freedom_of_russia_legion"),
    C('"russia legion freedom"', LEGION, None),
    C('"freedom of legion"', LEGION, None),
    C('"freedom of russia legion"', "Freedom of Russia\nLegion", "text:freedom_of_russia_legion"),
    C(
        '"freedom of russia legion"',
        "Freedom of Russia –\n\n  Legion",
        "text:freedom_of_russia_legion",
    ),
    C('"freedom of russia legion"', "Freedom, of Russia: Legion", "text:freedom_of_russia_legion"),
    C('"freedom of russia legion"', "freedom of (russia) legion", "text:freedom_of_russia_legion"),
    C('"new york"', "New\r\nYork", "text:new_york"),
    C('"new york"', "New Jersey and York", None),
    C('"kadyrov forces"', "Kadyrov's forces", "text:kadyrov_forces"),
    # OR and |
    C("legion OR battalion", "The battalion moved", "text:battalion"),
    C("legion | battalion", "The battalion moved", "text:battalion"),
    C("legion|battalion", "Legion and battalion", "text:legion text:battalion"),
    C("legion OR battalion", "The regiment moved", None),
    C(
        '"freedom of russia legion" OR "legion of free russia"',
        "The Legion of Free Russia",
        "text:legion_of_free_russia",
    ),
    # precedence: OR binds tighter than AND
    C("attack legion OR battalion", "A battalion attack", "text:attack text:battalion"),
    C("attack legion OR battalion", "A legion was seen", None),
    C("legion OR battalion attack", "A legion attack", "text:legion text:attack"),
    C("legion OR battalion attack", "A legion parade", None),
    C("legion OR battalion AND attack", "A battalion parade", None),
    C("legion OR battalion AND attack", "A battalion attack", "text:battalion text:attack"),
    C("(legion attack) OR battalion", "A lone battalion", "text:battalion"),
    C("(legion attack) OR battalion", "A lone legion", None),
    C("(legion OR battalion) AND russia*", "Russian battalion", "text:battalion text:russia*"),
    C("(legion OR battalion) AND russia*", "Russian regiment", None),
    # exclusions
    C("legion -football", LEGION, "text:legion"),
    C("legion -football", "The legion football club", None),
    C("legion -football", "The legion football club", None, title="Legion news"),
    C('legion -"football club"', "The legion football team", "text:legion"),
    C('legion -"football club"', "The legion football club", None),
    C("legion NOT football", "Legion football", None),
    C("legion NOT football", "Legion news", "text:legion"),
    C("legion -(football OR rugby)", "Legion rugby", None),
    C("legion -(football OR rugby)", "Legion chess", "text:legion"),
    C("legion -football*", "Legion footballers", None),
    C("legion -title:football", "Legion football", "text:legion", title="War"),
    C("legion -title:football", "Legion", None, title="Football"),
    C('"free russia" OR legion -"free russia legion"', "Free Russia Legion", None),
    # prefix wildcard
    C("russia*", "Russians said", "text:russia*"),
    C("russia*", "Russia said", "text:russia*"),
    C("russia*", "Belarussian said", None),
    C("russia*", "Rus said", None),
    C("kadyrov*", "Kadyrovites and Kadyrov's men", "text:kadyrov*"),
    C('"russia* legion"', "Russian Legion", "text:russia*_legion"),
    C('"russia* legion"', "Russian volunteer Legion", None),
    C("müll*", "MULLER", "text:mull*"),
    # diacritics and case
    C("Kyiv", "KYIV", "text:kyiv"),
    C("KYIV", "kyiv", "text:kyiv"),
    C('"São Paulo"', "Sao Paulo", "text:sao_paulo"),
    C('"Sao Paulo"', "SÃO PAULO", "text:sao_paulo"),
    C("Müller", "Muller", "text:muller"),
    C("Muller", "Müller", "text:muller"),
    C("strasse", "Hauptstraße", None),
    C("hauptstrasse", "Hauptstraße", "text:hauptstrasse"),
    C("Łódź", "Lodz", "text:lodz"),
    C("zurich", "Zu\u0308rich", "text:zurich"),  # decomposed input
    C("istanbul", "İstanbul", "text:istanbul"),
    C("москва", "МОСКВА", "text:москва"),
    C("fire", "ﬁre", "text:fire"),
    # possessives
    C("kadyrov", "Kadyrov's men", "text:kadyrov"),
    C("kadyrov", "Kadyrov’s men", "text:kadyrov"),
    C("kadyrov's", "Kadyrov said", "text:kadyrov"),
    C("kadyrov", "Kadyrovs men", None),
    C("soldiers", "the soldiers' families", "text:soldiers"),
    # hyphenation
    C('"anti tank"', "anti-tank weapons", "text:anti_tank"),
    C("anti-tank", "anti tank weapons", "text:anti-tank"),
    C("anti-tank", "antitank weapons", "text:anti-tank"),
    C("antitank", "anti-tank weapons", "text:antitank"),
    C("tank", "anti-tank weapons", "text:tank"),
    C('"antitank weapons"', "anti-tank weapons", "text:antitank_weapons"),
    C('"anti-tank weapons"', "antitank weapons", "text:anti-tank_weapons"),
    C("anti-tank", "anti tanks", None),
    # field scopes
    C("title:legion", LEGION, None, title="Border raid"),
    C("title:legion", "Nothing", "title:legion", title="Legion raid"),
    C(
        'title:"freedom of russia"',
        "x",
        "title:freedom_of_russia",
        title="Freedom of Russia Legion",
    ),
    C("text:legion", "A legion", "text:legion", title="Legion"),
    C("text:legion", "Nothing", None, title="Legion"),
    C("legion", "Nothing", "title:legion", title="Legion"),
    C("legion", "Legion", "title:legion text:legion", title="Legion"),
    C("title:(legion OR battalion) raid", "a raid", "title:battalion text:raid", title="Battalion"),
    C("source:example.com legion", "Legion", "source:example_com text:legion"),
    C('source:"example world" legion', "Legion", "source:example_world text:legion"),
    C("source:bbc legion", "Legion", None),
    C("source:bbc legion", "Legion", "source:bbc text:legion", domain="www.bbc.co.uk"),
    C('source:"world news" legion', "Legion", None, source="Example World", domain="news.x.org"),
    C("url:world legion", "Legion", "url:world text:legion"),
    C("url:europe legion", "Legion", None),
    C("url:ukraine_war", "x", "url:ukraine_war", url="https://x.org/ukraine_war/1"),
    C("lang:de legion", "Legion", None),
    C("lang:en legion", "Legion", "lang:en text:legion"),
    C("lang:en legion", "Legion", "lang:en text:legion", language="en-GB"),
    C("legion -lang:ru", "Legion", None, language="ru"),
    # a title phrase does not run into the body
    C('"raid legion"', "Legion fighters", None, title="Border raid"),
]


def _doc(case: Case) -> MatchDoc:
    return MatchDoc(case.title, case.text, case.url, case.source, case.domain, case.language)


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 80
    assert sum(c.hits is None for c in CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[f"{c.query} ~ {c.text[:30]}" for c in CASES])
def test_conformance(case: Case) -> None:
    matches = Matcher([TopicSpec("t", case.query)]).match(_doc(case))
    if case.hits is None:
        assert matches == []
    else:
        assert len(matches) == 1
        assert {f"{h.field}:{h.term}" for h in matches[0].hits} == case.hits


def test_all_topics_in_one_matcher_agree_with_each_topic_alone() -> None:
    matcher = Matcher([TopicSpec(str(i), c.query) for i, c in enumerate(CASES)])
    for case in CASES:
        together = {(m.topic, m.hits) for m in matcher.match(_doc(case))}
        alone = {
            (str(i), m.hits)
            for i, other in enumerate(CASES)
            for m in Matcher([TopicSpec("t", other.query)]).match(_doc(case))
        }
        assert together == alone


def test_random_queries_agree_with_each_topic_alone() -> None:
    rng = random.Random(7)
    words = ["legion", "russia*", '"free russia"', "battalion", "raid", "border", "tank"]
    ops = [" ", " OR ", " -", " AND ", " title:"]
    queries = []
    for _ in range(300):
        parts = [rng.choice(words)]
        for _ in range(rng.randint(1, 4)):
            parts += [rng.choice(ops), rng.choice(words)]
        queries.append("".join(parts))
    specs = []
    for q in queries:
        try:
            Matcher([TopicSpec("t", q)])
        except QueryError:
            continue
        specs.append(TopicSpec(q, q))
    assert len(specs) > 200
    matcher = Matcher(specs)
    doc = MatchDoc("Border raid", "Free Russia Legion and a tank battalion", "u", "s", "d", "en")
    together = [m.topic for m in matcher.match(doc)]
    alone = [s.name for s in specs if Matcher([s]).match(doc)]
    assert together == alone
    assert 0 < len(together) < len(specs)


def test_matches_come_in_topic_order_with_names() -> None:
    matcher = Matcher([TopicSpec("b", "legion"), TopicSpec("a", "russia"), TopicSpec("c", "tank")])
    assert [m.topic for m in matcher.match(_doc(C("x", LEGION, None)))] == ["b", "a"]


def test_bad_query_raises_at_construction() -> None:
    with pytest.raises(QueryError) as info:
        Matcher([TopicSpec("ok", "legion"), TopicSpec("bad", "legion (russia")])
    assert info.value.position == 8


def test_source_and_language_scopes_filter() -> None:
    doc = MatchDoc("", LEGION, "u", "Example World", "example.com", "en-US")
    matcher = Matcher(
        [
            TopicSpec("any", "legion"),
            TopicSpec("mine", "legion", sources=frozenset({"Example World"})),
            TopicSpec("other", "legion", sources=frozenset({"Other"})),
            TopicSpec("en", "legion", languages=frozenset({"EN"})),
            TopicSpec("de", "legion", languages=frozenset({"de"})),
        ]
    )
    assert [m.topic for m in matcher.match(doc)] == ["any", "mine", "en"]
    unknown = MatchDoc("", LEGION, "u", "Example World", "example.com", None)
    assert "de" in [m.topic for m in matcher.match(unknown)]  # unknown language is not excluded


def test_hit_positions_are_token_positions_per_field() -> None:
    doc = MatchDoc("Legion raid", "The Legion and the legion's border.", "u", "s", "d", None)
    [match] = Matcher([TopicSpec("t", "legion border")]).match(doc)
    assert match.hits == (
        Hit("legion", "title", (0,)),
        Hit("legion", "text", (1, 4)),
        Hit("border", "text", (5,)),
    )


def test_score_formula() -> None:
    hits = [
        Hit("legion", "title", (0,)),
        Hit("legion", "text", (10, 200, 300)),  # lead hit, 3 body mentions
        Hit("russia", "text", (120,)),  # one deep mention
        Hit("example com", "source", (0,)),
    ]
    assert score(hits) == round(3 + 2 + 2 + 1 + 0.5, 3)


def test_title_and_lead_hits_score_higher_than_deep_mentions() -> None:
    filler = "nothing to see here " * 40
    matcher = Matcher([TopicSpec("t", "legion")])
    in_title = matcher.match(MatchDoc("Legion", filler + "legion", "u", "s", "d", None))[0]
    in_lead = matcher.match(MatchDoc("x", "legion " + filler, "u", "s", "d", None))[0]
    deep = matcher.match(MatchDoc("x", filler + "legion", "u", "s", "d", None))[0]
    assert in_title.score > in_lead.score > deep.score > 0


def test_snippet_surrounds_the_best_hit_and_cuts_at_words() -> None:
    body = (
        "Opening words about the weather. " * 12
        + "Fighters of the Freedom of Russia Legion crossed the border overnight. "
        + "Closing words about the markets. " * 12
    )
    [match] = Matcher([TopicSpec("t", '"freedom of russia legion"')]).match(
        MatchDoc("", body, "u", "s", "d", None)
    )
    snippet = match.snippet
    assert "Freedom of Russia Legion" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert 200 <= len(snippet) <= 300
    inner = snippet.strip("…")
    assert body.find(inner) >= 0  # a verbatim slice of the body
    start = body.find(inner)
    assert body[start - 1].isspace() and body[start + len(inner)].isspace()


def test_snippet_prefers_the_passage_with_most_terms() -> None:
    body = "Legion mentioned alone. " + "filler text here " * 40 + "The legion met the battalion."
    [match] = Matcher([TopicSpec("t", "legion battalion")]).match(
        MatchDoc("", body, "u", "s", "d", None)
    )
    assert "legion met the battalion" in match.snippet


def test_snippet_maps_back_through_expanding_characters() -> None:
    body = "Straße… ﬁne " * 30 + "the Legion arrived in Łódź today."
    [match] = Matcher([TopicSpec("t", "legion")]).match(MatchDoc("", body, "u", "s", "d", None))
    assert "the Legion arrived in Łódź today." in match.snippet


def test_short_body_snippet_is_whole_and_title_only_match_shows_the_lead() -> None:
    matcher = Matcher([TopicSpec("t", "legion")])
    [short] = matcher.match(MatchDoc("", "The Legion\n  crossed.", "u", "s", "d", None))
    assert short.snippet == "The Legion crossed."
    [titled] = matcher.match(MatchDoc("Legion", "Body text starts here.", "u", "s", "d", None))
    assert titled.snippet == "Body text starts here."


def test_no_topics_match_nothing() -> None:
    assert Matcher([]).match(MatchDoc("Legion", LEGION, "u", "s", "d", "en")) == []


def test_joined_alias_positions_merge_under_one_hyphenated_term() -> None:
    doc = MatchDoc("", "anti-tank and anti tank and antitank", "u", "s", "d", None)
    [match] = Matcher([TopicSpec("t", "anti-tank")]).match(doc)
    assert match.hits == (Hit("anti-tank", "text", (0, 3, 6)),)
