"""The query parser: precedence, scopes, normalisation of terms, and error columns."""

from __future__ import annotations

import pytest

from monitor.errors import QueryError
from monitor.topics.query import parse_query
from monitor.topics.text import tokenize


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("legion", "legion"),
        ("legion russia", "(AND legion russia)"),
        ("legion AND russia", "(AND legion russia)"),
        ("a OR b", "(OR a b)"),
        ("a | b", "(OR a b)"),
        ("a|b", "(OR a b)"),
        # OR binds tighter than (implicit or explicit) AND, as in Google
        ("a b OR c", "(AND a (OR b c))"),
        ("a OR b c", "(AND (OR a b) c)"),
        ("a OR b AND c", "(AND (OR a b) c)"),
        ("a AND b OR c d", "(AND a (OR b c) d)"),
        ("a OR b OR c", "(OR a b c)"),
        ("(a b) OR c", "(OR (AND a b) c)"),
        ("(legion OR battalion) AND russia*", "(AND (OR legion battalion) russia*)"),
        ('"freedom of russia legion"', '"freedom of russia legion"'),
        ("“curly quotes”", '"curly quotes"'),
        ("a -b", "(AND a (NOT b))"),
        ('a -"b c"', '(AND a (NOT "b c"))'),
        ("a NOT b", "(AND a (NOT b))"),
        ("a -(b OR c)", "(AND a (NOT (OR b c)))"),
        ("a NOT b OR c", "(AND a (OR (NOT b) c))"),
        ("a -title:b", "(AND a (NOT title:b))"),
        ('title:"freedom of russia"', 'title:"freedom of russia"'),
        ("Title:Kyiv", "title:kyiv"),
        ("title:(a OR b) c", "(AND (OR title:a title:b) c)"),
        ("text:(a -b)", "(AND text:a (NOT text:b))"),
        ("source:example.com", 'source:"example com"'),
        ("url:ukraine lang:en", "(AND url:ukraine lang:en)"),
        ("russia*", "russia*"),
        ('"russia* legion"', '"russia* legion"'),
        ("São Paulo", "(AND sao paulo)"),
        ("MÜLLER", "muller"),
        ("Straße", "strasse"),
        ("Kadyrov's", "kadyrov"),
        ("Kadyrov’s", "kadyrov"),
        ("anti-tank", '(OR "anti-tank" anti-tank)'),
        ("U.S.", '"u s"'),
        ("or and not", "(AND or and not)"),  # lower-case operators are words
        ("10:30", '"10 30"'),  # a colon after digits is not a field
    ],
)
def test_parse_tree(query: str, tree: str) -> None:
    assert str(parse_query(query)) == tree


def test_hyphenated_term_has_a_phrase_and_a_joined_alternative() -> None:
    root = parse_query("anti-tank").root
    leaves = [leaf.parts for leaf in root.children]  # type: ignore[union-attr]
    assert [[p.text for p in parts] for parts in leaves] == [["anti", "tank"], ["antitank"]]


@pytest.mark.parametrize(
    ("query", "column", "reason"),
    [
        ("", 1, "empty query"),
        ("   ", 1, "empty query"),
        ('"freedom of russia', 1, "unclosed quote"),
        ('legion "freedom', 8, "unclosed quote"),
        ("(legion OR battalion", 1, "unclosed parenthesis"),
        ("a (b (c)", 3, "unclosed parenthesis"),
        ("legion)", 7, "unmatched ')'"),
        ("(a) b)", 6, "unmatched ')'"),
        ("()", 1, "empty parentheses"),
        ("a OR", 3, "OR has nothing after it"),
        ("a |", 3, "| has nothing after it"),
        ("OR a", 1, "OR has nothing before it"),
        ("a OR OR b", 3, "OR has nothing after it"),
        ("(a OR) b", 4, "OR has nothing after it"),
        ("a AND", 3, "AND has nothing after it"),
        ("AND a", 1, "AND has nothing before it"),
        ("a NOT", 3, "NOT has nothing after it"),
        ("a - b", 3, "'-' has nothing to exclude"),
        ("*russia", 1, "a wildcard must end a word"),
        ("legion *russia", 8, "a wildcard must end a word"),
        ("ru*ssia", 3, "a wildcard must end a word"),
        ("russia**", 7, "a wildcard must end a word"),
        ('"free *russia"', 7, "a wildcard must end a word"),
        ("a*", 1, "a wildcard needs 2 letters before it"),
        ("foo:bar", 1, "unknown field 'foo'"),
        ("legion author:smith", 8, "unknown field 'author'"),
        ("title: kyiv", 7, "title: needs a value"),
        ("kyiv title:", 12, "title: needs a value"),
        ("title:(text:a)", 8, "field scope inside another field scope"),
        ("a title:-b", 3, "exclusion inside a field scope"),
        ("&&", 1, "no letters or digits to look for"),
        ('a ""', 3, "no letters or digits to look for"),
        ("-football", 1, "the query would match articles that contain none of its terms"),
        ("NOT football", 1, "the query would match articles that contain none of its terms"),
        (
            "legion OR -football",
            11,
            "the query would match articles that contain none of its terms",
        ),
    ],
)
def test_errors_carry_the_column(query: str, column: int, reason: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert (info.value.position, info.value.reason) == (column, reason)
    assert str(info.value).startswith(f"column {column}: ")


def test_unknown_field_hint_lists_the_fields() -> None:
    with pytest.raises(QueryError) as info:
        parse_query("foo:bar")
    assert info.value.hint is not None and "title:" in info.value.hint


def test_tokenize_normalises_case_diacritics_possessives_and_hyphens() -> None:
    tokens = tokenize("KYIV’s São-Paulo Müller Straße foo_bar İstanbul ﬁre Łódź")
    assert [t.text for t in tokens] == [
        "kyiv",
        "sao",
        "paulo",
        "muller",
        "strasse",
        "foo",
        "bar",
        "istanbul",
        "fire",
        "lodz",
    ]
    assert [t.joined for t in tokens][1:3] == [False, True]
    assert [t.position for t in tokens] == list(range(10))


def test_tokenize_keeps_non_latin_words_whole() -> None:
    assert [t.text for t in tokenize("Москва, हिन्दी; Ελλάδα")] == ["москва", "हिन्दी", "ελλαδα"]
