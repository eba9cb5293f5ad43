"""Stories: syndicated copies (MinHash) folded onto their original, coverage grouped by event.

`engine` runs both for each new article (`stage` is its per-article stage); the rest is pure code: `text`, `words`, `dates` and
`lede` (features), `vectors` and `pack` (sparse vectors and their bytes), `model` and `score`
(centroids and the join score), `split` (re-examining a grown story), `copies` (MinHash).
May import: store, models, errors. Must not import fetch, parse, extract, topics or digest.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.store.story_queries import (
        PruneReport,
        StoryArticle,
        StoryView,
        list_stories,
        prune,
    )
    from monitor.stories.copies import CopyIndex, DedupSettings
    from monitor.stories.engine import Assignment, StoryEngine, StorySettings
    from monitor.stories.stage import StoryStage
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.store.story_queries": "PruneReport StoryArticle StoryView list_stories prune",
            "monitor.stories.copies": "CopyIndex DedupSettings",
            "monitor.stories.engine": "Assignment StoryEngine StorySettings",
            "monitor.stories.stage": "StoryStage",
        },
    )

__all__ = [
    "Assignment",
    "CopyIndex",
    "DedupSettings",
    "PruneReport",
    "StoryArticle",
    "StoryEngine",
    "StorySettings",
    "StoryStage",
    "StoryView",
    "list_stories",
    "prune",
]
