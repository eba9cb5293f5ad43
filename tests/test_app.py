"""The App's lifecycle: wiring writes nothing, `open` is the start step, reload through one door."""

from __future__ import annotations

from pathlib import Path

from demosite import write_config
from monitor.app import App
from monitor.config import load_config
from monitor.store import Store
from monitor.store import sources as source_store


def names(store: Store) -> list[str]:
    with store.connect() as conn:
        return sorted(r.name for r in source_store.all_sources(conn))


def test_wiring_writes_nothing_and_open_syncs_the_sources(tmp_path: Path) -> None:
    config = load_config(
        write_config(tmp_path, "- {url: 'http://127.0.0.1:9/a.rss', name: A}\n"), {}
    )
    store = Store.open(config.settings.state_dir)
    try:
        App(config, store)
        assert names(store) == []  # building the parts is not starting them
        App.open(config, store)
        assert names(store) == ["A"]
    finally:
        store.close()
