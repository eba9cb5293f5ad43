"""Story stage: copies and stories for each new article, inside the transaction that stores it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from monitor.config import Config
from monitor.models import Article
from monitor.stories.engine import StoryEngine, StorySettings

if TYPE_CHECKING:
    import sqlalchemy as sa


class StoryStage:
    """Dedup (copies) and story clustering for each new article, in the storing transaction."""

    name = "stories"

    def __init__(self, config: Config) -> None:
        self.engine = StoryEngine(StorySettings())

    def process(
        self, conn: sa.Connection, article_id: int, article: Article, now: datetime
    ) -> None:
        self.engine.process(conn, article_id, article)
