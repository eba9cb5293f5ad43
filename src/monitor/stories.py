"""Levels 2–3 of dedup: fold copies onto their original, group articles about one event into stories.

Interface: ``StoryEngine(settings).process(conn, article_id, article) -> Assignment`` for each
stored article, in arrival order, inside the caller's transaction; ``list_stories`` for the CLI;
``prune`` for the maintenance job. All state lives in the store (no caches), so a restart gives
the same assignments. The method and its measured quality are in docs/stories.md.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from monitor.dedup import CopyIndex, DedupSettings
from monitor.models import Article
from monitor.store.schema import articles
from monitor.store.story_tables import (
    fingerprints,
    minhash_bands,
    stories,
    story_articles,
    story_counters,
    story_postings,
    term_stats,
)

# Weights of the join score (a logistic model fitted on the dev files, see docs/stories.md), in
# the order of StoryEngine._features: word cos, entity cos, title cos, article's top entities
# missing from the story, story's top entities missing from the article, numbers missing,
# log(1+shared rare entities), log(1+age days), and age × entity cos / shared / word cos,
# log(story size), bias.
DEFAULT_WEIGHTS = (
    7.85,
    5.58,
    1.52,
    -1.13,
    -2.49,
    -1.44,
    0.57,
    -0.51,
    -0.84,
    0.12,
    -0.14,
    -1.87,
    2.6,
)


@dataclass(frozen=True)
class StorySettings:
    """Story clustering knobs; the defaults are the shipped configuration."""

    threshold: float = 1.5  # join score (log-odds) needed to join the best candidate story
    weights: tuple[float, ...] = DEFAULT_WEIGHTS
    max_age: timedelta = timedelta(days=180)  # no story is reachable after this long silence
    candidate_terms: int = 20  # an article's most specific terms used to find candidate stories
    max_candidates: int = 30
    title_weight: float = 2.0
    rare_df: int = 9  # an entity seen in at most this many articles is "specific"
    dedup: DedupSettings = field(default_factory=DedupSettings)


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

    def process(self, conn: sa.Connection, article_id: int, article: Article) -> Assignment:
        seen = _seen_time(conn, article_id, article)
        sig = self.copies.fingerprint(article.text)
        if sig is not None:
            found = self.copies.find_original(conn, sig)
            self.copies.add(conn, article_id, sig, seen)
            if found is not None:
                original = _root(conn, found[0])
                story_id = conn.execute(
                    sa.select(story_articles.c.story_id).where(
                        story_articles.c.article_id == original
                    )
                ).scalar()
                if story_id is not None:
                    conn.execute(
                        sa.insert(story_articles).values(
                            article_id=article_id,
                            story_id=story_id,
                            seen=seen,
                            duplicate_of=original,
                        )
                    )
                    _touch_story(conn, story_id, seen)
                    _mark(conn, article_id, original, story_id)
                    return Assignment(original, story_id, False)
        story_id, new = self._cluster(conn, article_id, article, seen)
        _mark(conn, article_id, None, story_id)
        return Assignment(None, story_id, new)

    def _cluster(
        self, conn: sa.Connection, article_id: int, article: Article, seen: datetime
    ) -> tuple[int, bool]:
        s = self.settings
        doc = featurize(article.title, article.text, s.title_weight)
        terms = sorted(set(doc.words) | set(doc.ents))
        df: dict[int, int] = {}
        if terms:
            query = sa.select(term_stats.c.term, term_stats.c.df).where(
                term_stats.c.term.in_(terms)
            )
            df = {int(t): int(d) for t, d in conn.execute(query).all()}
        n = _counter(conn, "articles")
        vec = ArticleVectors.build(doc, df, n, s.rare_df)
        keys = vec.top_terms(s.candidate_terms)
        best: tuple[float, int, Centroid] | None = None
        for sid, last_seen, size, blob in self._candidates(conn, keys, seen):
            centroid = Centroid.unpack(blob)
            feats = join_features(vec, centroid, size, _days(seen, last_seen))
            z = float(np.dot(s.weights, feats))
            if best is None or z > best[0]:
                best = (z, sid, centroid)
        if best is not None and best[0] >= s.threshold:
            story_id, centroid, new = best[1], best[2], False
        else:
            story_id, centroid, new = self._new_story(conn, seen), Centroid.empty(), True
        centroid = centroid.add(vec)
        conn.execute(
            sa.insert(story_articles).values(
                article_id=article_id,
                story_id=story_id,
                seen=seen,
                duplicate_of=None,
                vector=vec.member_blob(),
            )
        )
        self._update_story(conn, story_id, article_id, article.title, vec, centroid, seen)
        _upsert_postings(conn, keys, story_id, seen)
        _bump_df(conn, terms, df)
        _set_counter(conn, "articles", n + 1)
        return story_id, new

    def _candidates(
        self, conn: sa.Connection, keys: list[int], seen: datetime
    ) -> list[tuple[int, datetime, int, bytes]]:
        if not keys:
            return []
        hits = sa.func.count().label("hits")
        ranked = (
            sa.select(story_postings.c.story_id, hits)
            .where(story_postings.c.term.in_(keys))
            .where(story_postings.c.last_seen >= seen - self.settings.max_age)
            .group_by(story_postings.c.story_id)
            .order_by(hits.desc(), story_postings.c.story_id)
            .limit(self.settings.max_candidates)
            .subquery()
        )
        rows = conn.execute(
            sa.select(stories.c.id, stories.c.last_seen, stories.c.size, stories.c.centroid)
            .join(ranked, ranked.c.story_id == stories.c.id)
            .order_by(stories.c.id)
        ).all()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def _new_story(self, conn: sa.Connection, seen: datetime) -> int:
        result = conn.execute(
            sa.insert(stories).values(
                title="", first_seen=seen, last_seen=seen, size=0, centroid=b""
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def _update_story(
        self,
        conn: sa.Connection,
        story_id: int,
        article_id: int,
        title: str,
        vec: ArticleVectors,
        centroid: Centroid,
        seen: datetime,
    ) -> None:
        row = conn.execute(
            sa.select(stories.c.title_article_id, stories.c.first_seen, stories.c.last_seen).where(
                stories.c.id == story_id
            )
        ).one()
        values: dict[str, object] = {
            "centroid": centroid.pack(),
            "size": stories.c.size + 1,
            "first_seen": min(row[1], seen),
            "last_seen": max(row[2], seen),
        }
        mine = centroid.cosine(vec.words_k, vec.words_v)
        current = -1.0
        if row[0] is not None:
            blob = conn.execute(
                sa.select(story_articles.c.vector).where(story_articles.c.article_id == row[0])
            ).scalar()
            if blob:
                current = centroid.cosine(*unpack_sparse(blob))
        if mine > current:
            values.update(title=title, title_article_id=article_id)
        conn.execute(sa.update(stories).where(stories.c.id == story_id).values(**values))


# --- text features ---------------------------------------------------------------------------

_STOP = frozenset(
    """a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says say told according one two
    new news us mr mrs ms dr via per st monday tuesday wednesday thursday friday saturday sunday
    today yesterday tomorrow week weeks day days year years month months time times january
    february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec people police man woman men women report reports reported pm
    p m""".split()  # noqa: SIM905
)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SENTENCE_GAP = re.compile(r"[.!?\n]")


def _stem(word: str) -> str:
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _hash(term: str) -> int:
    return int.from_bytes(blake2b(term.encode(), digest_size=8).digest(), "little", signed=True)


@dataclass
class Doc:
    """Hashed term counts of one article: words, entity-like tokens, title words, numbers."""

    words: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    ents: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    title: defaultdict[int, float] = field(default_factory=lambda: defaultdict(float))
    numbers: set[int] = field(default_factory=set)


def featurize(title: str, text: str, title_weight: float) -> Doc:
    """Words (stemmed, no stop words), and entity-like tokens: capitalised runs and numbers."""
    doc = Doc()
    for part, weight in ((title, title_weight), (text, 1.0)):
        end, run = 0, ""
        for m in _TOKEN.finditer(part):
            tok, gap = m.group(), part[end : m.start()]
            end = m.end()
            low = tok.lower()
            if low in _STOP and not tok[0].isdigit():
                run = ""
                continue
            stem = _stem(low)
            w = _hash("w:" + stem)
            if tok[0].isdigit():
                e = _hash("e:#" + low)
                doc.ents[e] += weight
                doc.numbers.add(e)
                doc.words[w] += weight
                run = ""
            elif len(stem) >= 2:
                doc.words[w] += weight
                if part is title:
                    doc.title[w] += 1
                if tok[0].isupper():
                    doc.ents[_hash("e:" + stem)] += weight
                    if run and not gap.strip() and not _SENTENCE_GAP.search(gap):
                        doc.ents[_hash("e:" + run + "_" + stem)] += weight
                    run = stem
                else:
                    run = ""
            else:
                run = ""
    return doc


# --- vectors ---------------------------------------------------------------------------------

Keys = npt.NDArray[np.int64]
Vals = npt.NDArray[np.float64]
_CAPS = (400, 200, 60)  # centroid terms kept per channel: words, entities, title words


def _sparse(counts: Mapping[int, float], idf: dict[int, float]) -> tuple[Keys, Vals]:
    keys = np.array(sorted(counts), dtype=np.int64)
    vals = np.array([(1.0 + math.log(counts[k])) * idf[k] for k in keys.tolist()], dtype=np.float64)
    return keys, vals


def _dot(ak: Keys, av: Vals, bk: Keys, bv: Vals) -> float:
    if not len(ak) or not len(bk):
        return 0.0
    idx = np.minimum(np.searchsorted(bk, ak), len(bk) - 1)
    hit = bk[idx] == ak
    return float(np.dot(av[hit], bv[idx[hit]]))


def _cos(ak: Keys, av: Vals, bk: Keys, bv: Vals) -> float:
    norm = float(np.linalg.norm(av) * np.linalg.norm(bv))
    return _dot(ak, av, bk, bv) / norm if norm else 0.0


def _contains(keys: Keys, probe: Keys) -> npt.NDArray[np.bool_]:
    if not len(keys):
        return np.zeros(len(probe), dtype=bool)
    idx = np.minimum(np.searchsorted(keys, probe), len(keys) - 1)
    found: npt.NDArray[np.bool_] = keys[idx] == probe
    return found


@dataclass(frozen=True)
class ArticleVectors:
    """TF-IDF vectors of one article (sorted hashed keys), with the IDF of the moment."""

    words_k: Keys
    words_v: Vals
    ents_k: Keys
    ents_v: Vals
    title_k: Keys
    title_v: Vals
    numbers: Keys
    rare: Keys  # entities seen in few articles so far

    @classmethod
    def build(cls, doc: Doc, df: dict[int, int], n: int, rare_df: int) -> ArticleVectors:
        keys = set(doc.words) | set(doc.ents)
        idf = {k: math.log((n + 1) / (df.get(k, 0) + 1)) + 1.0 for k in keys}
        ek, ev = _sparse(doc.ents, idf)
        return cls(
            *_sparse(doc.words, idf),
            ek,
            ev,
            *_sparse(doc.title, idf),
            np.array(sorted(doc.numbers), dtype=np.int64),
            ek[np.array([df.get(k, 0) <= rare_df for k in ek.tolist()], dtype=bool)],
        )

    def top_terms(self, k: int) -> list[int]:
        order = np.lexsort((self.words_k, -self.words_v))[:k]
        return [int(x) for x in self.words_k[order]]

    def member_blob(self) -> bytes:
        order = np.sort(np.argsort(-self.words_v, kind="stable")[:50])
        return _pack([(self.words_k[order], self.words_v[order])])


def _pack(channels: list[tuple[Keys, Vals]]) -> bytes:
    head = np.array([len(k) for k, _ in channels], dtype="<i4").tobytes()
    body = b"".join(k.astype("<i8").tobytes() + v.astype("<f4").tobytes() for k, v in channels)
    return np.array([len(channels)], dtype="<i4").tobytes() + head + body


def _unpack(blob: bytes) -> list[tuple[Keys, Vals]]:
    if not blob:
        return []
    count = int(np.frombuffer(blob, dtype="<i4", count=1)[0])
    sizes = np.frombuffer(blob, dtype="<i4", count=count, offset=4).tolist()
    pos, out = 4 + 4 * count, []
    for size in sizes:
        keys = np.frombuffer(blob, dtype="<i8", count=size, offset=pos).astype(np.int64)
        pos += 8 * size
        vals = np.frombuffer(blob, dtype="<f4", count=size, offset=pos).astype(np.float64)
        pos += 4 * size
        out.append((keys, vals))
    return out


def unpack_sparse(blob: bytes) -> tuple[Keys, Vals]:
    """A member article's stored word vector."""
    return _unpack(blob)[0]


def _merge(a: tuple[Keys, Vals], b: tuple[Keys, Vals], cap: int) -> tuple[Keys, Vals]:
    keys = np.concatenate([a[0], b[0]])
    vals = np.concatenate([a[1], b[1]])
    uniq, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros(len(uniq))
    np.add.at(sums, inverse, vals)
    if len(uniq) > cap:
        keep = np.sort(np.lexsort((uniq, -sums))[:cap])
        uniq, sums = uniq[keep], sums[keep]
    return uniq, sums


@dataclass(frozen=True)
class Centroid:
    """A story's summed member vectors, one sparse channel each for words, entities and title."""

    channels: tuple[tuple[Keys, Vals], ...]

    @classmethod
    def empty(cls) -> Centroid:
        none = (np.zeros(0, dtype=np.int64), np.zeros(0))
        return cls((none, none, none))

    @classmethod
    def unpack(cls, blob: bytes) -> Centroid:
        chans = _unpack(blob)
        return cls(tuple(chans)) if len(chans) == 3 else cls.empty()

    def pack(self) -> bytes:
        return _pack(list(self.channels))

    def add(self, vec: ArticleVectors) -> Centroid:
        mine = ((vec.words_k, vec.words_v), (vec.ents_k, vec.ents_v), (vec.title_k, vec.title_v))
        return Centroid(
            tuple(_merge(c, m, cap) for c, m, cap in zip(self.channels, mine, _CAPS, strict=True))
        )

    def cosine(self, keys: Keys, vals: Vals) -> float:
        return _cos(keys, vals, *self.channels[0])


def join_features(
    vec: ArticleVectors, centroid: Centroid, size: int, age_days: float
) -> npt.NDArray[np.float64]:
    """What the join score weighs: similarities, specific names that differ, shared, and age."""
    (wk, wv), (ek, ev), (tk, tv) = centroid.channels
    cw = _cos(vec.words_k, vec.words_v, wk, wv)
    ce = _cos(vec.ents_k, vec.ents_v, ek, ev)
    ct = _cos(vec.title_k, vec.title_v, tk, tv)
    top = np.argsort(-vec.ents_v, kind="stable")[:5]
    total = float(vec.ents_v[top].sum()) or 1.0
    miss_a = float(vec.ents_v[top][~_contains(ek, vec.ents_k[top])].sum()) / total
    stop = np.argsort(-ev, kind="stable")[:5]
    total = float(ev[stop].sum()) or 1.0
    miss_s = float(ev[stop][~_contains(vec.ents_k, ek[stop])].sum()) / total
    miss_n = 0.0
    if len(vec.numbers):
        is_num = _contains(vec.numbers, vec.ents_k)
        nums = vec.ents_k[is_num][np.argsort(-vec.ents_v[is_num], kind="stable")[:3]]
        miss_n = float((~_contains(ek, nums)).mean())
    shared = math.log1p(float(_contains(ek, vec.rare).sum()))
    la = math.log1p(max(age_days, 0.0))
    return np.array(
        [
            cw,
            ce,
            ct,
            miss_a,
            miss_s,
            miss_n,
            shared,
            la,
            la * ce,
            la * shared,
            la * cw,
            math.log(max(size, 1)),
            1.0,
        ]
    )


# --- store helpers ---------------------------------------------------------------------------


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _days(seen: datetime, last_seen: datetime) -> float:
    return (seen - last_seen).total_seconds() / 86400.0


def _seen_time(conn: sa.Connection, article_id: int, article: Article) -> datetime:
    """Published time, else the time the article was stored (fetched, now as a last resort)."""
    if article.published is not None:
        return article.published
    stored = conn.execute(
        sa.select(articles.c.stored_at).where(articles.c.id == article_id)
    ).scalar()
    if isinstance(stored, datetime):
        return stored
    return article.fetched or datetime.now(UTC)


def _root(conn: sa.Connection, article_id: int) -> int:
    """The original an article points to (a copy's copy resolves to the first original)."""
    dup = conn.execute(
        sa.select(story_articles.c.duplicate_of).where(story_articles.c.article_id == article_id)
    ).scalar()
    return int(dup) if dup is not None else article_id


def _mark(conn: sa.Connection, article_id: int, duplicate_of: int | None, story_id: int) -> None:
    conn.execute(
        sa.update(articles)
        .where(articles.c.id == article_id)
        .values(duplicate_of=duplicate_of, story_id=story_id)
    )


def _touch_story(conn: sa.Connection, story_id: int, seen: datetime) -> None:
    row = conn.execute(
        sa.select(stories.c.first_seen, stories.c.last_seen).where(stories.c.id == story_id)
    ).one()
    conn.execute(
        sa.update(stories)
        .where(stories.c.id == story_id)
        .values(size=stories.c.size + 1, first_seen=min(row[0], seen), last_seen=max(row[1], seen))
    )


def _counter(conn: sa.Connection, name: str) -> int:
    value = conn.execute(
        sa.select(story_counters.c.value).where(story_counters.c.name == name)
    ).scalar()
    return int(value or 0)


def _set_counter(conn: sa.Connection, name: str, value: int) -> None:
    stmt = _insert(conn, story_counters).values(name=name, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value}))


def _bump_df(conn: sa.Connection, terms: list[int], df: dict[int, int]) -> None:
    fresh = [{"term": t, "df": 1} for t in terms if t not in df]
    if fresh:
        conn.execute(sa.insert(term_stats), fresh)
    seen = [t for t in terms if t in df]
    if seen:
        conn.execute(
            sa.update(term_stats).where(term_stats.c.term.in_(seen)).values(df=term_stats.c.df + 1)
        )


def _upsert_postings(conn: sa.Connection, keys: list[int], story_id: int, seen: datetime) -> None:
    if not keys:
        return
    stmt = _insert(conn, story_postings)
    stmt = stmt.on_conflict_do_update(
        index_elements=["term", "story_id"],
        set_={"last_seen": sa.func.max(story_postings.c.last_seen, stmt.excluded.last_seen)}
        if conn.dialect.name == "sqlite"
        else {"last_seen": sa.func.greatest(story_postings.c.last_seen, stmt.excluded.last_seen)},
    )
    conn.execute(stmt, [{"term": k, "story_id": story_id, "last_seen": seen} for k in keys])


# --- listing and maintenance -----------------------------------------------------------------


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story, as `stories --json` shows it."""

    id: int
    url: str
    source: str
    title: str
    published: datetime | None
    duplicate_of: int | None


@dataclass(frozen=True)
class StoryView:
    """A story with its articles and the topics they matched."""

    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    topics: list[str]
    articles: list[StoryArticle]

    def as_dict(self) -> dict[str, Any]:
        """The `stories --json` shape of SPEC.md (ISO 8601 times with offset)."""
        return {
            "id": self.id,
            "title": self.title,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "topics": self.topics,
            "articles": [
                {
                    "id": a.id,
                    "url": a.url,
                    "source": a.source,
                    "title": a.title,
                    "published": a.published.isoformat() if a.published else None,
                    "duplicate_of": a.duplicate_of,
                }
                for a in self.articles
            ],
        }


def list_stories(
    conn: sa.Connection, *, topic: str | None = None, since: datetime | None = None
) -> list[StoryView]:
    """Stories seen since *since* (by last article), optionally only those matching *topic*."""
    from monitor.store.schema import topic_matches

    query = sa.select(stories).order_by(stories.c.last_seen.desc(), stories.c.id.desc())
    if since is not None:
        query = query.where(stories.c.last_seen >= since)
    if topic is not None:
        query = query.where(
            sa.exists()
            .where(articles.c.story_id == stories.c.id)
            .where(topic_matches.c.article_id == articles.c.id)
            .where(topic_matches.c.topic == topic)
        )
    out = []
    for row in conn.execute(query).all():
        members = conn.execute(
            sa.select(articles)
            .where(articles.c.story_id == row.id)
            .order_by(articles.c.published, articles.c.id)
        ).all()
        topics = conn.execute(
            sa.select(topic_matches.c.topic)
            .distinct()
            .where(topic_matches.c.article_id.in_([m.id for m in members]))
            .order_by(topic_matches.c.topic)
        ).scalars()
        out.append(
            StoryView(
                row.id,
                row.title,
                row.first_seen,
                row.last_seen,
                list(topics),
                [
                    StoryArticle(m.id, m.url, m.source, m.title, m.published, m.duplicate_of)
                    for m in members
                ],
            )
        )
    return out


@dataclass(frozen=True)
class PruneReport:
    """What a maintenance run removed."""

    texts: int
    fingerprints: int
    stories: int


def prune(
    conn: sa.Connection,
    now: datetime,
    retention: timedelta | float,
    fingerprint_retention: timedelta | float,
) -> PruneReport:
    """Drop article text after *retention* and dedup/story state after *fingerprint_retention*,
    both counted from when the article was stored (floats are seconds). Old stories keep their
    row (id, title, dates) for the articles that refer to them, but lose centroid and postings."""
    if not isinstance(retention, timedelta):
        retention = timedelta(seconds=retention)
    if not isinstance(fingerprint_retention, timedelta):
        fingerprint_retention = timedelta(seconds=fingerprint_retention)
    texts = conn.execute(
        sa.update(articles)
        .where(articles.c.stored_at < now - retention, articles.c.text.is_not(None))
        .values(text=None)
    ).rowcount
    old = sa.select(articles.c.id).where(articles.c.stored_at < now - fingerprint_retention)
    conn.execute(sa.delete(minhash_bands).where(minhash_bands.c.article_id.in_(old)))
    gone = conn.execute(sa.delete(fingerprints).where(fingerprints.c.article_id.in_(old))).rowcount
    newest = (
        sa.select(story_articles.c.story_id)
        .join(articles, articles.c.id == story_articles.c.article_id)
        .group_by(story_articles.c.story_id)
        .having(sa.func.max(articles.c.stored_at) < now - fingerprint_retention)
    )
    dead = [int(x) for x in conn.execute(newest).scalars()]
    for i in range(0, len(dead), 500):
        chunk = dead[i : i + 500]
        conn.execute(sa.delete(story_postings).where(story_postings.c.story_id.in_(chunk)))
        conn.execute(sa.delete(story_articles).where(story_articles.c.story_id.in_(chunk)))
        conn.execute(sa.update(stories).where(stories.c.id.in_(chunk)).values(centroid=b""))
    return PruneReport(int(texts), int(gone), len(dead))
