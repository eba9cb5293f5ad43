"""Topics: the query language (lexer, parser, folding), the one-pass matcher, the topic stage.

May import: store, config, models, errors, urls. Must not import fetch, parse, extract,
stories or digest.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.topics.match import MatchDoc, Matcher, TopicMatch, TopicSpec
    from monitor.topics.query import Query, parse_query
    from monitor.topics.stage import TopicStage, match_stored, rematch_changed, topic_specs
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.topics.match": "MatchDoc Matcher TopicMatch TopicSpec",
            "monitor.topics.query": "Query parse_query",
            "monitor.topics.stage": "TopicStage match_stored rematch_changed topic_specs",
        },
    )

__all__ = [
    "MatchDoc",
    "Matcher",
    "Query",
    "TopicMatch",
    "TopicSpec",
    "TopicStage",
    "match_stored",
    "parse_query",
    "rematch_changed",
    "topic_specs",
]
