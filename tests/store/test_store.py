"""The store contract, run over SQLite and PostgreSQL: migrations, identity, leases, atomicity."""

from __future__ import annotations

import ast
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from monitor.models import Article
from monitor.store import Store, migrate
from monitor.store import articles as article_store
from monitor.store import sources as source_store
from monitor.store.leases import lease_owner
from monitor.store.schema import article_sources, articles, metadata, sources
from texts import WIRE

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def article(url: str, source: str = "A", guid: str | None = None, title: str = "T") -> Article:
    from monitor.urls import canonical_url

    return Article(
        url=url,
        canonical_url=canonical_url(url),
        title=title,
        text="body",
        source=source,
        guid=guid,
    )


def test_migrations_produce_exactly_the_declared_schema(store: Store) -> None:
    import importlib
    import pkgutil

    import monitor.store

    for info in pkgutil.iter_modules(monitor.store.__path__):  # every module declaring tables
        importlib.import_module(f"monitor.store.{info.name}")
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if not _not_ours(d)] == []
    assert store.version == len(migrate.available())


def _not_ours(d: tuple[object, ...]) -> bool:
    """The migrations' own bookkeeping, and procrastinate's schema (PostgreSQL, migration 10)
    with its version: present in the database, declared by no module of ours."""
    if d[0] not in ("remove_table", "remove_index"):
        return False
    table = getattr(d[1], "table", d[1])
    name = getattr(table, "name", "")
    return name in ("schema_version", "task_queue_schema") or name.startswith("procrastinate_")


def test_migrating_twice_is_a_no_op(store: Store) -> None:
    assert migrate.upgrade(store.engine) == store.version


def test_migrations_import_no_live_code() -> None:
    """A migration's output must not change with the live code: of `monitor` it imports only
    the column types the migrations share (the constants it needs are frozen in it)."""
    for path in sorted(Path(migrate.migrations.__path__[0]).glob("v*.py")):
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        ours = {name for name in imported if name.split(".")[0] == "monitor"}
        assert ours <= {"monitor.store.types"}, path.name


def test_same_article_through_two_sources_is_stored_once(store: Store) -> None:
    with store.begin() as conn:
        first = article_store.store(
            conn, article("https://Example.com/a?utm_source=x#top", "A", "g1"), NOW
        )
        again = article_store.store(conn, article("https://example.com/a", "A", "g1"), NOW)
        other = article_store.store(conn, article("https://example.com/a?fbclid=1", "B", "zz"), NOW)
    assert first.new and not again.new and not other.new
    assert first.article_id == again.article_id == other.article_id
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(articles)).scalar() == 1
        links = conn.execute(sa.select(article_sources.c.source, article_sources.c.guid)).all()
        seen_guids, seen_urls = article_store.known(
            conn, "A", ["g1", "g2"], ["https://example.com/a"]
        )
    assert sorted(links) == [("A", "g1"), ("B", "zz")]
    assert seen_guids == {"g1"} and seen_urls == {"https://example.com/a"}


def test_times_round_trip_as_aware_utc(store: Store) -> None:
    published = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with store.begin() as conn:
        a = Article("https://e.com/x", "https://e.com/x", "T", "b", "A", published=published)
        article_store.store(conn, a, NOW)
    with store.connect() as conn:
        row = conn.execute(sa.select(articles.c.published, articles.c.stored_at)).one()
    assert row.published == published and row.published.tzinfo is not None
    assert row.stored_at == NOW


def test_claims_lease_due_sources_once(store: Store) -> None:
    with store.begin() as conn:
        source_store.sync(conn, [("A", "http://a/", "feed"), ("B", "http://b/", "feed")], NOW)
    lease = timedelta(minutes=10)
    with store.begin() as conn:
        claimed = source_store.claim_due(conn, ["A", "B"], NOW, 10, lease)
    assert sorted(s.name for s in claimed) == ["A", "B"]
    with store.begin() as conn:  # leased: nobody else gets them
        assert source_store.claim_due(conn, ["A", "B"], NOW, 10, lease) == []
        source_store.record(conn, claimed[0].id, next_check_at=NOW + timedelta(hours=1))
    with store.begin() as conn:  # released but not due; the other one's lease expires later
        assert source_store.claim_due(conn, ["A", "B"], NOW + timedelta(minutes=5), 10, lease) == []
        late = source_store.claim_due(conn, ["A", "B"], NOW + timedelta(minutes=11), 10, lease)
    assert [s.name for s in late] == [claimed[1].name]


def test_a_claim_by_id_takes_over_only_the_leases_of_gone_holders(store: Store) -> None:
    """A worker's poll job claims its source by id: free, expired or dead-held leases are
    taken, a live holder's is not, and the configured names and `force` still apply."""
    feeds = [(n, f"http://{n.lower()}/", "feed") for n in ("Free", "Live", "Dead", "Gone", "Late")]
    lease = timedelta(minutes=10)
    with store.begin() as conn:
        source_store.sync(conn, feeds, NOW)
        ids = {r.name: r.id for r in source_store.all_sources(conn)}
        until = NOW + lease
        holders = {"Live": lease_owner(), "Dead": f"{socket.gethostname()}:{2**22 + 7}"}
        for name, holder in holders.items():  # this process; a process of this host that exited
            conn.execute(
                sa.update(sources).where(sources.c.id == ids[name])
                .values(claimed_by=holder, claimed_until=until)
            )  # fmt: skip
        conn.execute(  # an expired lease of a live holder
            sa.update(sources).where(sources.c.id == ids["Gone"])
            .values(claimed_by=lease_owner(), claimed_until=NOW - timedelta(seconds=1))
        )  # fmt: skip
        source_store.record(conn, ids["Late"], next_check_at=NOW + timedelta(hours=1))
    names = [n for n, *_ in feeds]

    def claim(name: str, *, force: bool = False, among: list[str] = names) -> list[str]:
        with store.begin() as conn:
            found = source_store.claim_due(conn, among, NOW, 1, lease, ids=[ids[name]], force=force)
        return [s.name for s in found]

    assert claim("Free") == ["Free"]
    assert claim("Free") == []  # leased now, by this process
    assert claim("Live") == []
    assert claim("Dead") == ["Dead"]
    assert claim("Gone") == ["Gone"]
    assert claim("Late") == [] and claim("Late", force=True) == ["Late"]
    with store.begin() as conn:
        source_store.release(conn, [ids["Free"]])
    assert claim("Free", among=["Live"]) == []  # not configured (any more)
    with store.connect() as conn:
        row = conn.execute(sa.select(sources).where(sources.c.id == ids["Dead"])).one()
    assert row.claimed_by == lease_owner() and row.claimed_until == NOW + lease


def test_sync_resets_a_source_whose_url_changed(store: Store) -> None:
    with store.begin() as conn:
        source_store.sync(conn, [("A", "http://a/", "feed")], NOW)
        (row,) = source_store.all_sources(conn)
        source_store.record(conn, row.id, etag='"x"', error_count=3, disabled=True)
        source_store.sync(conn, [("A", "http://a2/", "feed")], NOW)
        (row,) = source_store.all_sources(conn)
    assert (
        row.url == "http://a2/" and row.etag is None and not row.disabled and row.error_count == 0
    )


def test_a_failed_transaction_leaves_nothing_behind(store: Store) -> None:
    with store.begin() as conn:
        source_store.sync(conn, [("A", "http://a/", "feed")], NOW)
    with pytest.raises(RuntimeError), store.begin() as conn:
        article_store.store(conn, article("https://e.com/1"), NOW)
        (row,) = source_store.all_sources(conn)
        source_store.record(conn, row.id, etag='"new"')
        raise RuntimeError("crash between storing and committing")
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(articles)).scalar() == 0
        (row,) = source_store.all_sources(conn)
    assert row.etag is None


def test_export_rows_have_the_spec_shape(store: Store) -> None:
    with store.begin() as conn:
        article_store.store(conn, article("https://e.com/1"), NOW)
    with store.connect() as conn:
        (row,) = list(article_store.export_rows(conn))
    assert set(row) >= {
        "id", "url", "canonical_url", "source", "title", "text", "published", "fetched",
        "language", "topics", "story_id", "duplicate_of",
    }  # fmt: skip
    assert row["topics"] == [] and row["fetched"] == NOW.isoformat()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_v6_rebuilds_the_band_table_from_stored_fingerprints(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import zlib

    from alembic.operations import Operations

    from monitor.store import fingerprints
    from monitor.store.story_tables import minhash_bands
    from monitor.stories.copies import CopyIndex

    url = (
        f"sqlite:///{tmp_path / 'm.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a store as version 5 left it, with a fingerprint and its bands
        migrate._version_table.create(conn)
        for m in migrate.available()[:5]:
            m.upgrade(Operations(MigrationContext.configure(conn)))
            conn.execute(sa.insert(migrate._version_table).values(version=m.version))
        index = CopyIndex()
        words = WIRE.split()
        sig = index.fingerprint(" ".join(words))
        assert sig is not None
        conn.execute(
            sa.text("INSERT INTO fingerprints VALUES (:a, :s, :t)"),
            [
                {"a": 7, "s": sig.astype("<u4").tobytes(), "t": NOW.replace(tzinfo=None)},
                {"a": 8, "s": b"\0" * 64, "t": NOW.replace(tzinfo=None)},  # another num_perm
            ],
        )
        conn.execute(
            sa.text("INSERT INTO minhash_bands (band, hash, article_id) VALUES (:b, :h, 7)"),
            [{"b": i, "h": zlib.crc32(sig[3 * i : 3 * i + 3].tobytes())} for i in range(42)],
        )
    engine.dispose()
    store = Store(url)
    try:
        assert store.version == len(migrate.available())  # v6 and those after it
        with store.begin() as conn:
            rows = conn.execute(sa.select(minhash_bands)).all()
            assert sorted(r.band_hash for r in rows) == sorted(index.hasher.band_keys(sig))
            assert {r.article_id for r in rows} == {7}
            copy = words[: int(len(words) * 0.8)]
            copy[5] = "reportedly"
            sig = index.fingerprint(" ".join(copy))
            assert sig is not None
            found = index.original(sig, fingerprints.candidates(conn, index.band_keys(sig)))
        assert found is not None and found.article_id == 7 and found.score >= 0.4
    finally:
        store.close()


def test_an_sqlite_too_old_for_the_store_is_a_clear_error() -> None:
    from monitor.errors import StoreError
    from monitor.store.db import check_sqlite

    check_sqlite((3, 35, 0))
    with pytest.raises(StoreError) as info:
        check_sqlite((3, 31, 1))
    assert "SQLite 3.31.1 is too old" in str(info.value)
    assert "database_url" in (info.value.hint or "")


def test_the_task_queue_schema_is_postgresql_only_and_recorded(store: Store) -> None:
    """Migration 10 installs procrastinate's schema on PostgreSQL and records its version;
    SQLite has no queue; a newer procrastinate's files are picked by release."""
    from importlib import metadata

    from monitor.store import task_queue

    with store.connect() as conn:
        version = task_queue.schema_version(conn)
        depth = task_queue.queue_depth(conn)
        tables = set(sa.inspect(conn).get_table_names())
    if store.dialect == "sqlite":
        assert version is None and depth is None
        assert not any(t.startswith("procrastinate_") for t in tables)
    else:
        assert version == metadata.version("procrastinate")
        assert depth == task_queue.QueueDepth()
        assert {"procrastinate_jobs", "procrastinate_workers"} <= tables
    names = [n for n, _ in task_queue.migration_files((3, 2, 0), (3, 4, 0))]
    assert names[0].startswith("03.03.00_01") and names[-1].startswith("03.04.00_50")
    assert not any(n.startswith(("03.02.", "03.05.")) for n in names)


@pytest.mark.postgres
def test_an_older_task_queue_schema_is_brought_up_by_procrastinates_files(pg_url: str) -> None:
    """A database whose procrastinate schema is 3.3's (the 3.4 function and enum value taken
    out of today's schema.sql) and says so: the next start applies 3.4's pre and post files."""
    import re
    from importlib import metadata, resources

    from monitor.store import task_queue

    schema = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    older = re.sub(r",(\s*--[^\n]*)\n\s*'retried' -- Manually retried failed job", r"\1", schema)
    older, cut = re.subn(
        r"CREATE FUNCTION procrastinate_retry_job_v2\(.*?\n\$\$;\n", "", older, flags=re.S
    )
    if older.count("'retried'") != 1 or cut != 1:  # the trigger's CASE only
        pytest.skip("this procrastinate's schema.sql no longer has 3.4's changes where expected")
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(older.replace("%", "%%"))
        store = Store(pg_url)  # migration 10 finds procrastinate's tables and keeps them
        with store.begin() as conn:
            conn.execute(sa.text("UPDATE task_queue_schema SET version = '3.3.0'"))
        store.close()
        store = Store(pg_url)  # the next writing start
        with store.connect() as conn:
            version = task_queue.schema_version(conn)
            has_v2 = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE p.proname = 'procrastinate_retry_job_v2' AND n.nspname = current_schema()"
                )
            ).scalar_one()
            values = (
                conn.execute(
                    sa.text("SELECT unnest(enum_range(NULL::procrastinate_job_event_type))::text")
                )
                .scalars()
                .all()
            )
        store.close()
    finally:
        engine.dispose()
    assert version == metadata.version("procrastinate")
    assert has_v2 == 1 and "retried" in values
