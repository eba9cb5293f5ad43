"""Levels 2–3 of dedup: fold copies onto their original, group articles about one event into stories.

Interface: ``StoryEngine(settings).process(conn, article_id, article) -> Assignment`` for each
stored article, in arrival order, inside the caller's transaction (listing and pruning stories are
store queries: ``store/story_queries.py``, re-exported by ``monitor.stories``). All state lives in the store (in memory only memos of pure
functions of the text — term → hash, token → features — and cached SQL text), so a restart gives
the same assignments. The method and its measured quality are in docs/stories.md.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from monitor.models import Article
from monitor.store import fingerprints, mutes
from monitor.store import story_split_writes as split_writes
from monitor.store import story_writes as writes
from monitor.store.story_writes import StoryCandidate
from monitor.stories.copies import CopyIndex, DedupSettings, Original, Signature, signature_bytes
from monitor.stories.model import (
    DEFAULT_WEIGHTS,
    LINK,
    ArticleVectors,
    Centroid,
    Doc,
    featurize,
    member_cosine,
    unpack_sparse,
)
from monitor.stories.score import Candidate, scores
from monitor.stories.split import check_sizes, split

__all__ = ["Assignment", "StoryEngine", "StorySettings"]


log = logging.getLogger(__name__)

Scored = tuple[float, int, Centroid]  # a candidate's score without linkage, story id, centroid
_LINK_MAX = 1.0 + 1e-9  # a cosine's upper bound with room for rounding


@dataclass(frozen=True)
class StorySettings:
    """Story clustering knobs; the defaults are the shipped configuration."""

    threshold: float = -1.5  # join score (log-odds scale) needed to join the best candidate
    weights: tuple[float, ...] = DEFAULT_WEIGHTS
    max_age: timedelta = timedelta(days=730)  # no story is reachable after this long silence
    candidate_terms: int = 20  # an article's most specific terms used to find candidate stories
    max_candidates: int = 10
    posting_limit: int = 100  # most recent stories read per index term (bounds the cost)
    link_members: int = 5  # most recent members of a candidate compared one by one
    title_weight: float = 2.0
    rare_df: int = 9  # an entity seen in at most this many articles is "specific"
    split_threshold: float = -2.5  # a story whose halves score below this for each other splits
    split_max_size: int = 200  # larger stories are not re-examined (the work is quadratic); 0: none
    dedup: DedupSettings = field(default_factory=DedupSettings)


_CHECK_SIZES = check_sizes()
_DOC_MEMO = 512  # featurized articles kept (about 20 KB each with their text)


@dataclass(frozen=True)
class Assignment:
    """Where an article went: a copy of an original, in which story, and whether it started it."""

    duplicate_of: int | None
    story_id: int
    new_story: bool


class StoryEngine:
    """Assigns each new article to its original (if a copy) and to a story, in the store."""

    def __init__(self, settings: StorySettings | None = None) -> None:
        self.settings = settings or StorySettings()
        self.copies = CopyIndex(self.settings.dedup)
        self._hashes: dict[str, int] = {}  # term → hash memo, bounded; holds no store state
        # featurize memo (title, text) → Doc, least recently used out: a story's re-examination
        # finds its recent members here instead of tokenizing them again; holds no store state
        self._docs: OrderedDict[tuple[str, str], Doc] = OrderedDict()

    def process(self, conn: sa.Connection, article_id: int, article: Article) -> Assignment:
        seen = writes.seen_time(conn, article_id, article)
        sig = self.copies.fingerprint(article.text)
        if sig is not None:
            found = self.copy_of(conn, article_id, sig, seen)
            if found is not None:
                original = writes.root(conn, found.article_id)
                story_id = writes.story_of(conn, original)
                if story_id is not None:
                    writes.add_copy(conn, article_id, story_id, seen, original)
                    writes.touch_story(conn, story_id, seen)
                    writes.mark(conn, article_id, original, story_id)
                    return Assignment(original, story_id, False)
        story_id, new = self._cluster(conn, article_id, article, seen)
        writes.mark(conn, article_id, None, story_id)
        return Assignment(None, story_id, new)

    def copy_of(
        self, conn: sa.Connection, article_id: int, sig: Signature, seen: datetime
    ) -> Original | None:
        """The stored original *sig* is a copy of, if any; the signature is stored either way."""
        keys = self.copies.band_keys(sig)
        found = self.copies.original(sig, fingerprints.candidates(conn, keys))
        fingerprints.add(conn, article_id, signature_bytes(sig), seen, keys)
        return found

    def _featurize(self, title: str, text: str) -> Doc:
        key = (title, text)
        doc = self._docs.get(key)
        if doc is not None:
            self._docs.move_to_end(key)
            return doc
        if len(self._hashes) > 500_000:
            self._hashes.clear()
        doc = self._docs[key] = featurize(title, text, self.settings.title_weight, self._hashes)
        if len(self._docs) > _DOC_MEMO:
            self._docs.popitem(last=False)
        return doc

    def _cluster(
        self, conn: sa.Connection, article_id: int, article: Article, seen: datetime
    ) -> tuple[int, bool]:
        s = self.settings
        doc = self._featurize(article.title, article.text)
        terms = sorted(set(doc.words) | set(doc.ents))
        df = writes.take_df(conn, terms)  # counts this article; returns the counts before it
        n = writes.take_count(conn, "articles")
        vec = ArticleVectors.build(doc, df, n, s.rare_df)
        keys = vec.top_terms(s.candidate_terms)
        best: tuple[float, int, Centroid] | None = None
        weights = np.asarray(s.weights, dtype=np.float64)
        meta: dict[int, StoryCandidate] = {}
        found: list[Candidate] = []
        for row in writes.candidates(
            conn, keys, seen - s.max_age, s.posting_limit, s.max_candidates
        ):
            meta[row.id] = row
            found.append(
                (Centroid.unpack(row.centroid), row.size, writes.days(seen, row.last_seen))
            )
        zs = scores(vec, found, weights)  # as weights · join_features(..., link 0), each
        scored = [(z, sid, c[0]) for z, sid, c in zip(zs, meta, found, strict=True)]
        # Linkage (cosine ≤ 1) is read only for stories it could lift over the threshold and
        # over the best score found so far: the same choice as scoring all, without the member
        # reads and comparisons for candidates that cannot win.
        lift = s.weights[LINK]
        viable = [c for c in scored if c[0] + max(lift, 0.0) >= s.threshold]
        links = self._pruned_links(conn, vec, viable, lift)
        for z, sid, centroid in viable:
            if sid not in links:
                continue  # provably below a computed score: it cannot be the best
            z += lift * links[sid]
            if best is None or z > best[0]:
                best = (z, sid, centroid)
        if best is not None and best[0] >= s.threshold:
            story_id, centroid, new = best[1], best[2], False
        else:
            story_id, centroid, new = writes.new_story(conn, seen), Centroid.empty(), True
            meta[story_id] = StoryCandidate(story_id, seen, 0, b"", None, seen, None)
        centroid = centroid.add(vec)
        writes.add_member(conn, article_id, story_id, seen, vec.member_blob())
        self._update_story(conn, meta[story_id], article_id, article.title, vec, centroid, seen)
        writes.upsert_postings(conn, keys, story_id, seen)
        grown = meta[story_id].size + 1
        if not new and grown in _CHECK_SIZES and grown <= s.split_max_size:
            moved, new_id = self._reexamine(conn, story_id)
            if article_id in moved:
                story_id = new_id
        return story_id, new

    def _reexamine(self, conn: sa.Connection, story_id: int) -> tuple[set[int], int]:
        """Split the story in two if its members hold two events (`story_split`): the half with
        its first member keeps it, the other half (with their copies) becomes a new story.
        Returns the originals moved and the new story's id (none and 0 when it stays whole)."""
        s = self.settings
        rows = split_writes.members(conn, story_id)
        if len(rows) > s.split_max_size:
            return set(), 0
        originals = [m for m in rows if m.duplicate_of is None]
        if any(m.text is None for m in originals):
            return set(), 0  # pruned text: the members cannot be compared again
        docs = [self._featurize(m.title or "", m.text or "") for m in originals]
        terms = sorted({t for d in docs for t in (*d.words, *d.ents)})
        df, n = split_writes.document_frequencies(conn, terms)
        vecs = [ArticleVectors.build(d, df, n, s.rare_df) for d in docs]
        found = split(vecs, np.asarray(s.weights, dtype=np.float64))
        if found is None or found[0] >= s.split_threshold:
            return set(), 0
        halves = []  # (which originals, their ids, every member with the copies) per half
        for side in (found[1], ~found[1]):  # the half with the first member keeps the story
            ids = {m.article_id for m, k in zip(originals, side, strict=True) if k}
            halves.append((side, ids, [m for m in rows if (m.duplicate_of or m.article_id) in ids]))
        moved, group = halves[1][1], halves[1][2]
        new_id = writes.new_story(conn, min(m.seen for m in group))
        split_writes.move(conn, [m.article_id for m in group], new_id)
        mutes.follow_split(conn, story_id, new_id)  # a muted story's other half stays muted
        for sid, (side, _, members) in zip((story_id, new_id), halves, strict=True):
            part = [v for v, k in zip(vecs, side, strict=True) if k]
            centroid = Centroid.of(part)
            centrality = [centroid.cosine(v.words_k, v.words_v) for v in part]
            heads = [m for m, k in zip(originals, side, strict=True) if k]
            head = heads[int(np.argmax(centrality))]
            title = (head.title or "", head.article_id)
            split_writes.rewrite(conn, sid, centroid.pack(), members, title)
        for m, vec in zip(originals, vecs, strict=True):
            if m.article_id in moved:
                writes.upsert_postings(conn, vec.top_terms(s.candidate_terms), new_id, m.seen)
        log.info(
            "story %d split: %d of its %d articles are another event, now story %d (score %.2f)",
            story_id,
            len(group),
            len(rows),
            new_id,
            found[0],
        )
        return moved, new_id

    def _pruned_links(
        self, conn: sa.Connection, vec: ArticleVectors, viable: list[Scored], lift: float
    ) -> dict[int, float]:
        """Linkage of the viable candidates that could still be the best: 0 ≤ linkage ≤ 1 (up to
        rounding, hence _LINK_MAX), so a candidate whose score with the largest linkage stays
        below one already computed cannot win; the rest get the same linkage as before. The
        highest-scoring candidate's members are read first, then those of any still in reach."""
        if not viable:
            return {}
        order = sorted(viable, key=lambda c: -c[0])
        reach = max(lift, 0.0) * _LINK_MAX
        first = order[0][1]
        links = {first: self._link(vec, self._members(conn, [first]).get(first, []))}
        top = order[0][0] + lift * links[first]
        rest = [c for c in order[1:] if c[0] + reach >= top]
        members = self._members(conn, [c[1] for c in rest]) if rest else {}
        for z, sid, _ in rest:
            if z + reach < top:
                break  # sorted by score: none after this can win either
            links[sid] = self._link(vec, members.get(sid, []))
            top = max(top, z + lift * links[sid])
        return links

    def _members(self, conn: sa.Connection, ids: list[int]) -> dict[int, list[bytes]]:
        """The stored word vectors of the recent members of each story in *ids*."""
        out: dict[int, list[bytes]] = {}
        for sid, blob in writes.recent_members(conn, ids, self.settings.link_members):
            out.setdefault(sid, []).append(blob)
        return out

    @staticmethod
    def _link(vec: ArticleVectors, blobs: list[bytes]) -> float:
        """Best word cosine to a recent member of a candidate story (single linkage)."""
        best = 0.0
        for blob in blobs:
            best = max(best, member_cosine(vec, unpack_sparse(blob)))
        return best

    def _update_story(
        self,
        conn: sa.Connection,
        story: StoryCandidate,
        article_id: int,
        title: str,
        vec: ArticleVectors,
        centroid: Centroid,
        seen: datetime,
    ) -> None:
        mine = centroid.cosine(vec.words_k, vec.words_v)
        current = -1.0
        if story.title_article_id is not None and story.title_vector:
            current = centroid.cosine(*unpack_sparse(story.title_vector))
        first, last = min(story.first_seen, seen), max(story.last_seen, seen)
        new_title = (title, article_id) if mine > current else None
        writes.update_story(conn, story.id, centroid.pack(), first, last, new_title)
