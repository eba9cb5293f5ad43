"""Story stage: copies and stories for each new article, inside the transaction that stores it
(and again for one whose full text arrived later)."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from monitor.config import Config
from monitor.models import Article

if TYPE_CHECKING:
    import sqlalchemy as sa

    from monitor.stories.engine import StoryEngine


class StoryStage:
    """Dedup (copies) and story clustering for each new article, in the storing transaction.

    The engine (numpy and the story model) loads at the first article, so that commands which
    only read the store (`status`, `stories`) do not pay for it.
    """

    name = "stories"

    def __init__(self, config: Config) -> None:
        pass  # the story settings are not in the config (yet): StorySettings() holds them

    @cached_property
    def engine(self) -> StoryEngine:
        from monitor.stories.engine import StoryEngine, StorySettings

        return StoryEngine(StorySettings())

    def process(
        self, conn: sa.Connection, article_id: int, article: Article, now: datetime
    ) -> None:
        self.engine.process(conn, article_id, article)

    def refresh(
        self, conn: sa.Connection, article_id: int, before: Article, after: Article, now: datetime
    ) -> None:
        """Copies and story again for an article whose full text arrived (stories/refresh.py)."""
        from monitor.stories.refresh import refresh

        refresh(self.engine, conn, article_id, before, after)
