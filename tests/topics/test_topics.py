"""The topic stage in the store: matches saved with hits, re-matched when a topic changes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import sqlalchemy as sa

from monitor.app import App
from monitor.config import load_config
from monitor.ingest.importer import import_jsonl
from monitor.store.schema import topic_matches

ARTICLES = [
    {"url": "https://a.example/legion-raid", "title": "Legion raid in Belgorod",
     "text": "Fighters of the Freedom of Russia Legion crossed the border.", "source": "A"},
    {"url": "https://b.example/football", "title": "Legion football club wins",
     "text": "The Legion of Free Russia football team won on Sunday.", "source": "B"},
    {"url": "https://c.example/cycling", "title": "New cycling lanes",
     "text": "The council approved cycling lanes in Kyiv.", "source": "C"},
]  # fmt: skip


def config(tmp_path: Path, topics: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "settings: {state_dir: state}\ntopics:\n" + textwrap.indent(textwrap.dedent(topics), "  ")
    )
    return path


def matches(app: App) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with app.store.connect() as conn:
        for row in conn.execute(sa.select(topic_matches)):
            found.setdefault(row.topic, set()).add(
                f"{row.article_id}:{sorted(h['term'] for h in json.loads(row.hits))}"
            )
    return found


def test_matches_are_stored_and_rematched_when_topics_change(tmp_path: Path) -> None:
    path = config(tmp_path, """\
        - name: Legion
          query: '"Freedom of Russia Legion" OR "Legion of Free Russia" -football'
        """)  # fmt: skip
    app = App.open(load_config(path, {}))
    report = import_jsonl(app.store, app.stages, [json.dumps(a) for a in ARTICLES])
    assert report.new == 3
    assert matches(app) == {"Legion": {"1:['freedom of russia legion']"}}
    with app.store.connect() as conn:
        row = conn.execute(sa.select(topic_matches)).one()
    assert row.score > 0 and "Freedom of Russia Legion" in row.snippet
    app.close()

    # the query changes and a topic is added: stored articles are matched again
    path = config(tmp_path, """\
        - name: Legion
          query: '"Freedom of Russia Legion" OR "Legion of Free Russia"'
        - name: Kyiv
          query: kyiv
        """)  # fmt: skip
    app = App.open(load_config(path, {}))
    assert matches(app) == {
        "Legion": {"1:['freedom of russia legion']", "2:['legion of free russia']"},
        "Kyiv": {"3:['kyiv']"},
    }
    with app.store.connect() as conn:
        times = (
            conn.execute(
                sa.text(
                    "SELECT m.matched_at = a.stored_at FROM topic_matches m JOIN articles a ON a.id = m.article_id"
                )
            )
            .scalars()
            .all()
        )
    assert all(times)  # back-filled matches carry the stored time, not "now"
    app.close()

    # an unchanged config does not re-match (and a removed topic's state is dropped)
    path = config(tmp_path, "- {name: Kyiv, query: kyiv}\n")
    app = App.open(load_config(path, {}))
    assert matches(app) == {"Kyiv": {"3:['kyiv']"}}
    app.close()
