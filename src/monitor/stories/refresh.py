"""An article placed again after its text changed (its full text arrived after its teaser):
copies and stories as if it had come with that text, inside the caller's transaction.

The article leaves its story (a story left empty goes; otherwise its centroid and title are
rebuilt from the members that stay, as a split rebuilds them) and gives back the document
frequencies its teaser counted; then `StoryEngine.process` places it by its new text: a copy of
an original, or a member of the best story, or a new one. An article that others were folded
onto as copies keeps its place (its copies stay with it); only its copy signature follows the
new text.
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from monitor.models import Article
from monitor.store import fingerprints
from monitor.store import story_detach as detach
from monitor.store import story_split_writes as split_writes
from monitor.store import story_writes as writes
from monitor.stories.copies import signature_bytes
from monitor.stories.engine import Assignment, StoryEngine
from monitor.stories.model import ArticleVectors, Centroid, featurize


def refresh(
    engine: StoryEngine, conn: sa.Connection, article_id: int, before: Article, after: Article
) -> Assignment | None:
    """Place *article_id* again by its new text (`after`); None when it keeps its place."""
    if detach.has_copies(conn, article_id):
        detach.forget_fingerprint(conn, article_id)
        sig = engine.copies.fingerprint(after.text)
        if sig is not None:
            seen = writes.seen_time(conn, article_id, after)
            keys = engine.copies.band_keys(sig)
            fingerprints.add(conn, article_id, signature_bytes(sig), seen, keys)
        return None
    where = detach.place(conn, article_id)
    detach.forget_fingerprint(conn, article_id)
    if where is not None:
        detach.leave(conn, article_id)
        if where.duplicate_of is None:  # an original: its teaser counted its terms
            doc = featurize(before.title, before.text, engine.settings.title_weight)
            detach.give_back(conn, sorted(set(doc.words) | set(doc.ents)))
            rebuild(engine, conn, where.story_id)
        else:
            detach.shrink(conn, where.story_id)
    return engine.process(conn, article_id, after)


def rebuild(engine: StoryEngine, conn: sa.Connection, story_id: int) -> None:
    """A story's row from the members it has left (none: the story goes)."""
    s = engine.settings
    rows = split_writes.members(conn, story_id)
    if not rows:
        detach.drop_story(conn, story_id)
        return
    originals = [m for m in rows if m.duplicate_of is None]
    if not originals or any(m.text is None for m in originals):
        detach.shrink(conn, story_id)  # pruned text: the centroid cannot be rebuilt; kept
        return
    docs = [featurize(m.title or "", m.text or "", s.title_weight) for m in originals]
    terms = sorted({t for d in docs for t in (*d.words, *d.ents)})
    df, n = split_writes.document_frequencies(conn, terms)
    vecs = [ArticleVectors.build(d, df, n, s.rare_df) for d in docs]
    centroid = Centroid.of(vecs)
    centrality = [centroid.cosine(v.words_k, v.words_v) for v in vecs]
    head = originals[int(np.argmax(centrality))]
    split_writes.rewrite(conn, story_id, centroid.pack(), rows, (head.title or "", head.article_id))
